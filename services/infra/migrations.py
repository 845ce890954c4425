"""Alembic, once for every service: each service keeps its revisions in ``migrations/``.

A service's ``migrations/env.py`` is two lines: it hands its metadata to ``run_migrations``.
``python -m services.infra.migrations [service ...]`` upgrades the named services (default:
every service folder that has migrations) to head.
"""

import argparse
import logging
import sys
from pathlib import Path

from alembic import command, context
from alembic.config import Config

from services.infra.db import database_url, make_engine
from services.infra.messaging import MessagingBase

SERVICES_DIR = Path(__file__).resolve().parent.parent


def service_names():
    return sorted(p.parent.parent.name for p in SERVICES_DIR.glob("*/migrations/env.py"))


def alembic_config(service_name, url=None):
    config = Config()
    config.set_main_option("script_location", str(SERVICES_DIR / service_name / "migrations"))
    config.attributes["url"] = url or database_url(service_name)
    return config


def upgrade(service_name, url=None):
    command.upgrade(alembic_config(service_name, url), "head")


def run_migrations(metadata):
    """Body of every service's env.py: online migrations against the service's database."""
    engine = make_engine(context.config.attributes["url"])
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=[metadata, MessagingBase.metadata],
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def create_messaging_tables():
    """The outbox, inbox and parked-event tables, for a service's first revision."""
    MessagingBase.metadata.create_all(context.get_bind())


def drop_messaging_tables():
    MessagingBase.metadata.drop_all(context.get_bind())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("services", nargs="*", help="default: every service")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for name in args.services or service_names():
        upgrade(name)
        print(f"migrated {name}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
