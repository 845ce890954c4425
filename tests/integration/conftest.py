"""Integration fixtures: real RabbitMQ (a fresh vhost per test, from nameko's pytest plugin),
services running in this process in nameko containers, and a fresh database per service.

``LINLI_TEST_DB=sqlite`` (default) puts each service's database in ``tmp_path``;
``LINLI_TEST_DB=postgres`` creates a randomly named database per service next to
``LINLI_TEST_PG_URL`` (and drops it, forced, when the test ends).
"""

import eventlet

eventlet.monkey_patch()  # before anything else opens a socket or a thread

import importlib.util  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import urlsplit, urlunsplit  # noqa: E402

import psycopg2  # noqa: E402
import pytest  # noqa: E402
import requests  # noqa: E402

from services.infra.db import make_engine  # noqa: E402
from services.infra.migrations import upgrade  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
TOKEN_SECRET = "integration-tests-only-secret-0123456789abcdef"


def _load_bootstrap():
    spec = importlib.util.spec_from_file_location(
        "linli_bootstrap", REPO_ROOT / "deploy" / "bootstrap.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bootstrap = _load_bootstrap()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout=10.0, interval=0.1, message="condition"):
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            result = predicate()
        except Exception as exc:  # not ready yet; keep the last reason
            last_error = exc
            result = None
        if result:
            return result
        eventlet.sleep(interval)
    raise AssertionError(
        f"timed out after {timeout}s waiting for {message} (last error: {last_error!r})"
    )


# --- databases ---------------------------------------------------------------------------------


class SqliteDatabases:
    def __init__(self, directory):
        self.directory = directory

    def create(self, service):
        return f"sqlite:///{self.directory / service}.db"

    def drop_all(self):
        pass


class PostgresDatabases:
    def __init__(self, admin_url):
        self.admin_url = admin_url
        self.names = []

    def _admin(self):
        connection = psycopg2.connect(self.admin_url)
        connection.autocommit = True
        return connection

    def create(self, service):
        name = f"linli_it_{service}_{uuid.uuid4().hex[:12]}"
        connection = self._admin()
        try:
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            connection.close()
        self.names.append(name)
        # The documented form (README, compose, manifests): ``postgresql://``, as written.
        parts = urlsplit(self.admin_url)
        return urlunsplit(parts._replace(path=f"/{name}"))

    def drop_all(self):
        connection = self._admin()
        try:
            with connection.cursor() as cursor:
                for name in self.names:
                    self._drop(cursor, name)
        finally:
            connection.close()
        self.names = []

    @staticmethod
    def _drop(cursor, name, attempts=5):
        """Drop a test database; a backend that cannot be ended yet (autovacuum) gets a moment."""
        for attempt in range(attempts):
            try:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                return
            except psycopg2.errors.InsufficientPrivilege:
                if attempt == attempts - 1:
                    warnings.warn(f"could not drop test database {name}", stacklevel=1)
                    return
                time.sleep(1)


@pytest.fixture
def databases(tmp_path):
    kind = os.environ.get("LINLI_TEST_DB", "sqlite")
    if kind == "sqlite":
        dbs = SqliteDatabases(tmp_path)
    elif kind == "postgres":
        dbs = PostgresDatabases(
            os.environ.get("LINLI_TEST_PG_URL", "postgresql://linli:linli@127.0.0.1:5432/postgres")
        )
    else:
        raise pytest.UsageError(f"LINLI_TEST_DB must be sqlite or postgres, not {kind!r}")
    yield dbs
    dbs.drop_all()


# --- the stack ---------------------------------------------------------------------------------


class Stack:
    """Per test: each service's migrated database and config; start/stop its container."""

    def __init__(self, rabbit_config, container_factory, databases):
        self.rabbit_config = rabbit_config
        self.amqp_uri = rabbit_config["AMQP_URI"]
        self.container_factory = container_factory
        self.databases = databases
        self.urls = {}
        self.engines = {}
        self.containers = {}
        self.all_containers = []
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.gateway_options = {}

    # databases
    def database_url(self, service):
        if service not in self.urls:
            url = self.databases.create(service)
            upgrade(service, url)
            self.urls[service] = url
        return self.urls[service]

    def engine(self, service):
        """An engine on a service's database, for the test to look inside (not green)."""
        if service not in self.engines:
            self.engines[service] = make_engine(self.database_url(service))
        return self.engines[service]

    def scalar(self, service, sql, **params):
        from sqlalchemy import text

        with self.engine(service).connect() as connection:
            return connection.execute(text(sql), params).scalar()

    # configuration
    def base_config(self):
        return {
            "AMQP_URI": self.amqp_uri,
            "max_workers": 10,
            "parent_calls_tracked": 10,
            "PUBLIC_URL": "http://linli.test",
        }

    def config(self, service):
        if service == "gateway":
            return {
                **self.base_config(),
                "max_workers": 50,
                "WEB_SERVER_ADDRESS": f"127.0.0.1:{self.port}",
                "TOKEN_SECRET": TOKEN_SECRET,
                "TOKEN_TTL_SECONDS": 3600,
                "RPC_TIMEOUT_SECONDS": 2,
                "HEALTH_TIMEOUT_SECONDS": 1,
                **self.gateway_options,
            }
        return {**self.base_config(), "DATABASE_URL": self.database_url(service)}

    # lifecycle
    def declare_queues(self):
        bootstrap.declare_queues(self.amqp_uri)

    def service_class(self, service):
        if service == "gateway":
            from gateway.service import GatewayService

            return GatewayService
        return bootstrap.service_class(service)

    def start(self, *services):
        for service in services:
            container = self.container_factory(self.service_class(service), self.config(service))
            container.start()
            self.containers[service] = container
            self.all_containers.append(container)
        if "gateway" in services:
            wait_for(self._gateway_listening, timeout=5, message="the gateway to listen")
        return self

    def start_another_gateway(self):
        """One more gateway process of the same deployment, on a port of its own; the port."""
        port = free_port()
        config = {**self.config("gateway"), "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"}
        container = self.container_factory(self.service_class("gateway"), config)
        container.start()
        self.all_containers.append(container)
        wait_for(
            lambda: self._gateway_listening(port), timeout=5, message="the other gateway to listen"
        )
        return port

    def _gateway_listening(self, port=None):
        with socket.create_connection(("127.0.0.1", port or self.port), timeout=0.5):
            return True

    def stop(self, service):
        self.containers.pop(service).stop()

    def kill_all(self):
        for container in reversed(self.all_containers):
            try:
                container.kill()
            except Exception:  # teardown goes on
                pass
        for engine in self.engines.values():
            engine.dispose()

    @staticmethod
    def wait_for(predicate, timeout=10.0, interval=0.1, message="condition"):
        return wait_for(predicate, timeout=timeout, interval=interval, message=message)

    # clients
    def rpc(self, service, method, *args, context=None, timeout=5, **kwargs):
        from nameko.standalone.rpc import ClusterRpcProxy

        with ClusterRpcProxy(
            self.base_config(), context_data=context or {}, timeout=timeout
        ) as proxy:
            return getattr(getattr(proxy, service), method)(*args, **kwargs)

    def dispatch(self, source, event_type, payload):
        from nameko.standalone.events import event_dispatcher

        event_dispatcher(self.base_config(), serializer="json")(source, event_type, payload)

    def http(self, method, path, token=None, **kwargs):
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        kwargs.setdefault("timeout", 15)
        return requests.request(method, self.base_url + path, headers=headers, **kwargs)

    # the HTTP API as a user drives it
    def signup_leader(self, slug=None):
        slug = slug or f"c-{uuid.uuid4().hex[:10]}"
        response = self.http(
            "POST",
            "/api/v1/leaders/signup",
            json={
                "community_name": f"Community {slug}",
                "slug": slug,
                "phone": new_phone(),
                "password": "leader-password",
                "display_name": "Leader",
            },
        )
        assert response.status_code == 201, response.text
        body = response.json()
        return {"token": body["token"], "slug": slug, "tenant_id": body["community"]["id"]}

    def join_member(self, slug, name="Resident"):
        response = self.http(
            "POST",
            f"/api/v1/communities/{slug}/join",
            json={
                "phone": new_phone(),
                "password": "member-password",
                "name": name,
                "building": "3",
                "unit": "502",
            },
        )
        assert response.status_code == 201, response.text
        body = response.json()
        return {"token": body["token"], "member_id": body["member"]["id"]}

    def create_product(self, leader_token, stock, price_cents=1280, name="Free-range eggs"):
        response = self.http(
            "POST",
            "/api/v1/products",
            token=leader_token,
            json={
                "name": name,
                "price_cents": price_cents,
                "stock": stock,
                "unit": "box",
            },
        )
        assert response.status_code == 201, response.text
        return response.json()

    def product_stock(self, leader_token, product_id):
        response = self.http("GET", f"/api/v1/products/{product_id}", token=leader_token)
        assert response.status_code == 200, response.text
        return response.json()["stock"]


_phones = iter(range(100_000))


def new_phone():
    return f"139{os.getpid() % 1000:03d}{next(_phones):05d}"


@pytest.fixture
def stack(rabbit_config, container_factory, databases):
    stack = Stack(rabbit_config, container_factory, databases)
    yield stack
    # Containers go before their databases (a forced drop would cut them off mid-work).
    stack.kill_all()
