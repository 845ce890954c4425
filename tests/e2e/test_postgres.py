"""PostgreSQL as the README, docker-compose.yml and deploy/k8s write it: each service's
``LINLI_<SERVICE>_DATABASE_URL=postgresql://linli:…@host/<database>`` exactly, no driver named.
The stack starts the way ``make run`` does (deploy/run.py: migrations, then every process), and
a member's orders land in orders' and catalog's PostgreSQL databases.

Skipped when no PostgreSQL answers at ``LINLI_TEST_PG_URL`` (``deploy/setup.sh --with-postgres``).
"""

import importlib.util
import os
import time
import uuid
from pathlib import Path

import psycopg2
import pytest
import requests

from services.infra.topology import SERVICES

pytestmark = pytest.mark.e2e

ADMIN_URL = os.environ.get("LINLI_TEST_PG_URL", "postgresql://linli:linli@127.0.0.1:5432/postgres")


def _e2e():
    spec = importlib.util.spec_from_file_location(
        "linli_e2e_conftest_pg", Path(__file__).parent / "conftest.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _admin():
    try:
        connection = psycopg2.connect(ADMIN_URL, connect_timeout=5)
    except psycopg2.OperationalError as exc:
        pytest.skip(f"no PostgreSQL at {ADMIN_URL}: {exc}")
    connection.autocommit = True
    return connection


@pytest.fixture
def documented_urls():
    """A fresh database per service, and the URLs in the documented form (``postgresql://``)."""
    names = {service: f"linli_e2e_{service}_{uuid.uuid4().hex[:10]}" for service in SERVICES}
    connection = _admin()
    try:
        with connection.cursor() as cursor:
            for name in names.values():
                cursor.execute(f'CREATE DATABASE "{name}"')
        base = ADMIN_URL.rsplit("/", 1)[0]
        urls = {service: f"{base}/{name}" for service, name in names.items()}
        assert all(url.startswith("postgresql://") for url in urls.values())
        yield urls
    finally:
        with connection.cursor() as cursor:
            for name in names.values():
                try:
                    cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                except psycopg2.Error:
                    pass  # an autovacuum worker: the name is random, it harms nobody
        connection.close()


def _count(url, sql):
    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def test_the_stack_runs_on_postgresql_urls_as_documented(tmp_path, own_vhost, documented_urls):
    stack = _e2e().Stack(tmp_path, own_vhost)
    stack.env.update(
        {f"LINLI_{service.upper()}_DATABASE_URL": url for service, url in documented_urls.items()}
    )
    stack.start()
    try:

        def api(method, path, token=None, **kwargs):
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            return requests.request(method, stack.url + path, headers=headers, timeout=15, **kwargs)

        slug = f"pg-{uuid.uuid4().hex[:8]}"
        leader = api(
            "POST",
            "/api/v1/leaders/signup",
            json={
                "community_name": "邻里 PostgreSQL",
                "slug": slug,
                "phone": "13900000001",
                "password": "leader-password",
                "display_name": "团长",
            },
        )
        assert leader.status_code == 201, leader.text
        leader = leader.json()["token"]
        product = api(
            "POST",
            "/api/v1/products",
            leader,
            json={"name": "土鸡蛋", "price_cents": 3600, "stock": 10, "unit": "盒"},
        )
        assert product.status_code == 201, product.text
        product = product.json()["id"]
        member = api(
            "POST",
            f"/api/v1/communities/{slug}/join",
            json={
                "phone": "13900000002",
                "password": "member-password",
                "name": "王阿姨",
                "building": "3",
                "unit": "502",
            },
        )
        assert member.status_code == 201, member.text
        member = member.json()["token"]

        placed = [
            api(
                "POST",
                "/api/v1/orders",
                member,
                json={"items": [{"product_id": product, "quantity": 2}]},
            )
            for _ in range(2)
        ]
        assert [response.status_code for response in placed] == [201, 201], [r.text for r in placed]
        kept, cancelled = (response.json()["id"] for response in placed)
        paid = api("POST", f"/api/v1/orders/{kept}/mark-paid", leader)
        assert paid.status_code == 200 and paid.json()["status"] == "paid", paid.text
        gone = api("POST", f"/api/v1/orders/{cancelled}/cancel", member)
        assert gone.status_code == 200 and gone.json()["status"] == "cancelled", gone.text

        deadline = time.monotonic() + 60  # order_cancelled reaches catalog through the broker
        while api("GET", f"/api/v1/products/{product}", leader).json()["stock"] != 8:
            assert time.monotonic() < deadline, "the cancelled order's stock never came back"
            time.sleep(0.5)
    finally:
        assert stack.stop() == 0, stack.output()

    # What the services wrote is in PostgreSQL, where the documented URLs point.
    assert _count(documented_urls["orders"], "SELECT count(*) FROM orders") == 2
    assert (
        _count(documented_urls["orders"], "SELECT count(*) FROM orders WHERE status = 'paid'") == 1
    )
    assert _count(documented_urls["catalog"], "SELECT stock FROM products") == 8
    assert _count(documented_urls["crm"], "SELECT count(*) FROM members") == 1
    assert not list(tmp_path.glob("*.db")), "no service may fall back to SQLite"
