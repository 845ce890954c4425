"""Metrics and logs of a running stack: every process scraped through the targets file that
deploy/run.py writes, and JSON log lines with the correlation id (LINLI_LOG_FORMAT=json)."""

import json
import re
import uuid

import pytest
import requests
from conftest import Stack, _new_vhost
from test_walking_skeleton import api, eventually

from services.infra.topology import SERVICES

pytestmark = pytest.mark.e2e

SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})? (?P<value>\S+)$")


@pytest.fixture(scope="module")
def json_stack(tmp_path_factory):
    vhost = _new_vhost("linli-e2e-obs")
    stack = Stack(tmp_path_factory.mktemp("linli-data-obs"), vhost)
    stack.env["LINLI_LOG_FORMAT"] = "json"
    stack.start()
    yield stack
    if stack.process.poll() is None:
        stack.stop()
    requests.delete(
        f"http://127.0.0.1:15672/api/vhosts/{vhost}", auth=("guest", "guest"), timeout=10
    )


@pytest.fixture(scope="module")
def placed(json_stack):
    """An order placed by a member of a new community, and the request id it was placed under."""
    stack = json_stack
    slug = f"obs-{uuid.uuid4().hex[:6]}"
    signup = api(
        stack,
        "POST",
        "/leaders/signup",
        json={
            "community_name": "观测小区",
            "slug": slug,
            "phone": "13800000011",
            "password": "leader-secret-1",
            "display_name": "观测",
        },
    )
    assert signup.status_code == 201, signup.text
    leader = signup.json()["token"]
    product = api(
        stack,
        "POST",
        "/products",
        leader,
        json={"name": "土鸡蛋 30枚", "price_cents": 3600, "stock": 5, "category": "eggs"},
    )
    assert product.status_code == 201, product.text
    join = api(
        stack,
        "POST",
        f"/communities/{slug}/join",
        json={
            "phone": "13900000012",
            "password": "member-secret-1",
            "name": "王阿姨",
            "building": "1栋",
            "unit": "101",
        },
    )
    assert join.status_code == 201, join.text
    request_id = uuid.uuid4().hex
    order = api(
        stack,
        "POST",
        "/orders",
        join.json()["token"],
        json={"items": [{"product_id": product.json()["id"], "quantity": 1}]},
        headers={"Idempotency-Key": "obs-1", "X-Request-Id": request_id},
    )
    assert order.status_code == 201, order.text
    # An order that does not exist: orders answers NotFound, and nameko logs the expected error
    # from inside the worker, with its fields.
    missing_id = uuid.uuid4().hex
    missing = api(
        stack, "GET", f"/orders/{missing_id}", leader, headers={"X-Request-Id": missing_id}
    )
    assert missing.status_code == 404, missing.text
    return {
        "order": order.json(),
        "request_id": request_id,
        "missing_id": missing_id,
        "tenant_id": signup.json()["community"]["id"],
        "phones": ["13800000011", "13900000012"],
    }


def scrape(target):
    response = requests.get(f"http://{target}/metrics", timeout=10)
    response.raise_for_status()
    samples = []
    for line in response.text.splitlines():
        match = SAMPLE.match(line)
        if match and not line.startswith("#"):
            labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match["labels"] or ""))
            samples.append((match["name"], labels, float(match["value"])))
    return samples


def total(samples, name, **labels):
    return sum(
        value
        for sample, have, value in samples
        if sample == name and all(have.get(k) == v for k, v in labels.items())
    )


def test_every_process_is_listed_and_scraped(json_stack, placed):
    targets = json.loads((json_stack.data_dir / "prometheus-targets.json").read_text())
    instances = {group["labels"]["instance"]: group for group in targets}
    assert set(instances) == {*SERVICES, "gateway", "gateway-2"}
    assert all(
        len(group["targets"]) == 1 and group["labels"]["service"] in (*SERVICES, "gateway")
        for group in targets
    )
    scraped = {name: scrape(group["targets"][0]) for name, group in instances.items()}
    for name, samples in scraped.items():
        assert total(samples, "process_resident_memory_bytes") > 0, (
            name
        )  # prometheus_client's defaults
    for name in SERVICES:
        assert any(sample == "linli_outbox_backlog" for sample, _, _ in scraped[name]), name
    orders = scraped["orders"]
    assert (
        total(
            orders,
            "linli_rpc_requests_total",
            service="orders",
            method="place_orders",
            outcome="ok",
        )
        >= 1
    )
    assert (
        total(orders, "linli_rpc_duration_seconds_count", service="orders", method="place_orders")
        >= 1
    )

    def placed_counted():
        return total(scrape(instances["orders"]["targets"][0]), "linli_orders_placed_total") >= 1

    assert eventually(placed_counted)
    gateways = scraped["gateway"] + scraped["gateway-2"]  # the kernel picks which gateway answers
    assert (
        total(
            gateways,
            "linli_http_requests_total",
            route="/api/v1/orders",
            method="POST",
            status="201",
        )
        >= 1
    )
    assert (
        total(
            gateways,
            "linli_http_request_duration_seconds_count",
            route="/api/v1/orders",
            method="POST",
        )
        >= 1
    )
    # No id in a label: not the order's, nor the community's, nor a raw path.
    ids = [
        placed["order"]["id"],
        placed["missing_id"],
        placed["tenant_id"],
        placed["order"]["member_id"],
    ]
    for samples in scraped.values():
        for _, labels, _ in samples:
            assert not any(i in value for i in ids for value in labels.values()), labels
    assert (
        total(
            gateways,
            "linli_http_requests_total",
            route="/api/v1/orders/{order_id}",
            method="GET",
            status="404",
        )
        >= 1
    )


def test_json_log_lines_carry_the_correlation_id_and_no_phone_number(json_stack, placed):
    logs_dir = json_stack.data_dir / "logs"

    def lines_of(name):
        return [
            line
            for line in (logs_dir / f"{name}.log").read_text(errors="replace").splitlines()
            if line
        ]

    for name in (*SERVICES, "gateway"):
        entries = [json.loads(line) for line in lines_of(name) if line.startswith("{")]
        assert entries, name
        assert all(
            {"time", "level", "service", "logger", "message", "correlation_id", "tenant_id"}
            <= set(e)
            for e in entries
        )
        assert {e["service"] for e in entries} == {name}
    # A service's output is JSON, line for line (nameko's own start-up lines included).
    orders = lines_of("orders")
    assert all(line.startswith("{") and json.loads(line) for line in orders)

    def the_worker_line():
        return [
            e
            for e in map(json.loads, lines_of("orders"))
            if e["correlation_id"] == placed["missing_id"]
        ]

    (line, *_) = eventually(the_worker_line)
    assert line["entrypoint"] == "get_order" and line["tenant_id"] == placed["tenant_id"]
    assert line["level"] == "WARNING" and line["service"] == "orders"
    # The gateway's access line of the order carries the request id the client sent.
    access = [
        json.loads(line)
        for name in ("gateway", "gateway-2")
        for line in lines_of(name)
        if "POST /api/v1/orders " in line
    ]
    assert [(e["correlation_id"], e["entrypoint"]) for e in access] == [
        (placed["request_id"], "/api/v1/orders")
    ]
    everything = "\n".join(
        line for name in (*SERVICES, "gateway", "gateway-2") for line in lines_of(name)
    )
    for phone in placed["phones"]:
        assert phone not in everything
    assert "leader-secret-1" not in everything and "member-secret-1" not in everything
