"""Concurrent retries of one order (same Idempotency-Key) make one order and one reservation."""

import uuid
from unittest import mock

import eventlet
import pytest

from services.catalog import handlers as catalog_handlers

pytestmark = pytest.mark.integration


def test_concurrent_retries_with_one_key_make_one_order(stack):
    stack.gateway_options["RPC_TIMEOUT_SECONDS"] = 10
    stack.declare_queues()
    stack.start("catalog", "orders", "crm", "gateway")
    leader = stack.signup_leader()
    product = stack.create_product(leader["token"], stock=5)
    member = stack.join_member(leader["slug"])

    key = uuid.uuid4().hex

    def place(_):
        response = stack.http(
            "POST",
            "/api/v1/orders",
            token=member["token"],
            timeout=30,
            headers={"Idempotency-Key": key},
            json={"items": [{"product_id": product["id"], "quantity": 2}]},
        )
        return response.status_code, response.json()

    # Widen the window between "is there a reservation?" and "make one" so both retries are in it
    # (on a busy server that happens by itself, now and then).
    original = catalog_handlers._product

    def slow_product(*args, **kwargs):
        eventlet.sleep(0.3)
        return original(*args, **kwargs)

    with mock.patch.object(catalog_handlers, "_product", slow_product):
        results = list(eventlet.GreenPool(2).imap(place, range(2)))

    seen = {
        "statuses": [status for status, _ in results],
        "order_ids": len({body.get("id") for _, body in results}),
        "stock": stack.product_stock(leader["token"], product["id"]),
        "live_reservations": stack.scalar(
            "catalog", "SELECT count(*) FROM stock_reservations WHERE status = 'reserved'"
        ),
    }
    assert seen == {"statuses": [201, 201], "order_ids": 1, "stock": 3, "live_reservations": 1}
