"""The database URLs the README, docker-compose.yml and deploy/k8s write work as written."""

import pytest

from services.infra.db import engine_url, make_engine


@pytest.mark.parametrize(
    "documented",
    [
        "postgresql://linli:secret@postgres:5432/linli_orders",
        "postgres://linli:secret@postgres:5432/linli_orders",
    ],
)
def test_a_bare_postgresql_url_means_psycopg2(documented):
    url = engine_url(documented)
    assert url.drivername == "postgresql+psycopg2"
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "linli",
        "secret",
        "postgres",
        5432,
        "linli_orders",
    )


@pytest.mark.parametrize(
    "explicit", ["postgresql+psycopg2://linli@db/linli_crm", "sqlite:////var/linli/crm.db"]
)
def test_an_explicit_driver_is_kept(explicit):
    assert engine_url(explicit).render_as_string(hide_password=False) == explicit


def test_an_engine_is_made_from_the_documented_form_without_psycopg3():
    engine = make_engine("postgresql://linli:secret@127.0.0.1:1/linli_orders")  # not connected
    assert engine.dialect.driver == "psycopg2"
    engine.dispose()
