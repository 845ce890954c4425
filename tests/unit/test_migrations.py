"""Every service's migrations build exactly the schema its models describe."""

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect

from services.infra.migrations import alembic_config, service_names, upgrade
from services.infra.topology import SERVICES


def test_every_service_has_migrations():
    assert service_names() == sorted(SERVICES)


@pytest.mark.parametrize("service", service_names())
def test_migrations_match_the_models_and_carry_the_messaging_tables(service, tmp_path):
    url = f"sqlite:///{tmp_path / service}.db"
    upgrade(service, url)
    command.check(alembic_config(service, url))  # raises when models and migrations differ
    tables = set(inspect(create_engine(url)).get_table_names())
    assert {"outbox", "inbox", "parked_events", "alembic_version"} <= tables
    upgrade(service, url)  # a second run is a no-op
