"""Fault scenarios on real processes (``make chaos``; never part of ``make test``).

Each scenario gets a deployment of its own: deploy/run.py's processes, a RabbitMQ vhost and a
data directory of its own (tests/e2e/conftest.py's ``Deployment``), optionally PostgreSQL
databases of its own. They run only when LINLI_CHAOS=1 (``make chaos`` sets it), one at a time.
"""

import importlib.util
import os
import uuid
from pathlib import Path

import psycopg2
import pytest
import requests

from services.infra.topology import SERVICES

REPO = Path(__file__).resolve().parents[2]
MANAGEMENT = "http://127.0.0.1:15672/api"
AUTH = ("guest", "guest")
PG_ADMIN_URL = os.environ.get(
    "LINLI_TEST_PG_URL", "postgresql://linli:linli@127.0.0.1:5432/postgres"
)


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


e2e = _load("linli_e2e_conftest", REPO / "tests" / "e2e" / "conftest.py")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("LINLI_CHAOS") == "1":
        return
    skip = pytest.mark.skip(reason="fault scenarios run with `make chaos` (LINLI_CHAOS=1)")
    for item in items:
        if "chaos" in item.keywords or "fuzz" in item.keywords:
            item.add_marker(skip)


# The broker scenario restarts this machine's RabbitMQ unless LINLI_CHAOS_RABBIT_NODE names a node
# of its own (e.g. linlichaos@<host>, AMQP on LINLI_CHAOS_AMQP_PORT): then the deployments of the
# scenarios use that node's default vhost and only it is restarted (README: Reliability and
# security).
PRIVATE_NODE = os.environ.get("LINLI_CHAOS_RABBIT_NODE")
PRIVATE_AMQP_PORT = os.environ.get("LINLI_CHAOS_AMQP_PORT", "5679")


@pytest.fixture
def vhost():
    if PRIVATE_NODE:
        yield None
        return
    name = f"linli-chaos-{uuid.uuid4().hex[:8]}"
    requests.put(f"{MANAGEMENT}/vhosts/{name}", auth=AUTH, timeout=10).raise_for_status()
    requests.put(
        f"{MANAGEMENT}/permissions/{name}/guest",
        auth=AUTH,
        timeout=10,
        json={"configure": ".*", "write": ".*", "read": ".*"},
    ).raise_for_status()
    yield name
    requests.delete(f"{MANAGEMENT}/vhosts/{name}", auth=AUTH, timeout=30)


class PostgresDatabases:
    """A fresh database per service, dropped (forced) at the end."""

    def __init__(self):
        self.names = []

    def _admin(self):
        connection = psycopg2.connect(PG_ADMIN_URL)
        connection.autocommit = True
        return connection

    def environment(self):
        base = PG_ADMIN_URL.rsplit("/", 1)[0]
        env = {}
        connection = self._admin()
        try:
            with connection.cursor() as cursor:
                for service in SERVICES:
                    name = f"linli_chaos_{service}_{uuid.uuid4().hex[:10]}"
                    cursor.execute(f'CREATE DATABASE "{name}"')
                    self.names.append(name)
                    env[f"LINLI_{service.upper()}_DATABASE_URL"] = f"{base}/{name}".replace(
                        "postgresql://", "postgresql+psycopg2://", 1
                    )
        finally:
            connection.close()
        return env

    def drop_all(self):
        connection = self._admin()
        try:
            with connection.cursor() as cursor:
                for name in self.names:
                    try:
                        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                    except psycopg2.Error:
                        pass  # an autovacuum worker; the name is random, it harms nobody
        finally:
            connection.close()


@pytest.fixture
def deploy(tmp_path, vhost):
    """``deploy(env=..., postgres=True)`` starts a deployment; everything stops at the end."""
    started, databases = [], []

    def start(env=None, postgres=False, gateways=1):
        env = dict(env or {})
        if postgres:
            databases.append(PostgresDatabases())
            env.update(databases[-1].environment())
        deployment = e2e.Deployment(
            tmp_path / f"data-{len(started)}", vhost, env=env, gateways=gateways
        )
        if PRIVATE_NODE:
            deployment.env["LINLI_AMQP_URI"] = f"amqp://guest:guest@127.0.0.1:{PRIVATE_AMQP_PORT}/"
        deployment.data_dir.mkdir()
        started.append(deployment)
        seconds = deployment.start()
        print(
            f"\n[deploy] {len(deployment.processes)} processes healthy in {seconds:.1f} s "
            f"({'PostgreSQL' if postgres else 'SQLite'}, "
            f"{deployment.env['LINLI_AMQP_URI'].rsplit('@', 1)[1]})"
        )
        return deployment

    yield start
    for deployment in started:
        deployment.stop()
    for databases_ in databases:
        databases_.drop_all()
