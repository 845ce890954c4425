"""A service that is down: the gateway says so quickly, and nothing it gave up on runs later."""

import time

import pytest

from services.infra.topology import GATEWAY, SERVICES

pytestmark = pytest.mark.integration


def _order(stack, member, product):
    started = time.monotonic()
    response = stack.http(
        "POST",
        "/api/v1/orders",
        token=member["token"],
        json={"items": [{"product_id": product["id"], "quantity": 2}]},
    )
    return response, time.monotonic() - started


def _catalog_down_and_order_refused(stack):
    stack.declare_queues()
    stack.start(*SERVICES, GATEWAY)
    leader = stack.signup_leader()
    product = stack.create_product(leader["token"], stock=5)
    member = stack.join_member(leader["slug"])

    stack.stop("catalog")  # its queue stays: calls now wait in it until they expire

    started = time.monotonic()
    health = stack.http("GET", "/health")
    assert time.monotonic() - started < 5
    assert health.status_code == 503, health.text
    assert health.json()["down"] == ["catalog"]
    assert health.json()["services"]["orders"] == "ok"

    ordered_at = time.monotonic()
    response, elapsed = _order(stack, member, product)
    assert elapsed < 5
    assert response.status_code == 503, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert response.json()["service"] == "orders"  # the gateway's own call gave up
    return leader, product, member, ordered_at


def _no_order_and_stock_unchanged(stack, leader, product, member):
    stack.start("catalog")
    time.sleep(3)  # anything still queued for catalog would have run by now
    mine = stack.http("GET", "/api/v1/orders", token=member["token"])
    assert mine.status_code == 200, mine.text
    seen = {
        "stock": stack.product_stock(leader["token"], product["id"]),
        "reservations": stack.scalar("catalog", "SELECT count(*) FROM stock_reservations"),
        "orders": len(mine.json()["items"]),
    }
    assert seen == {"stock": 5, "reservations": 0, "orders": 0}
    # And the service works again.
    health = stack.http("GET", "/health")
    assert health.status_code == 200, health.text
    response, _ = _order(stack, member, product)
    assert response.status_code == 201, response.text
    assert stack.product_stock(leader["token"], product["id"]) == 3


def test_service_down(stack):
    leader, product, member, ordered_at = _catalog_down_and_order_refused(stack)
    # orders' own call to catalog has a deadline too (at most the gateway's):
    # once that has passed, the expired reservation request must never run.
    time.sleep(max(0.0, ordered_at + 6 - time.monotonic()))
    _no_order_and_stock_unchanged(stack, leader, product, member)


def test_request_the_client_gave_up_on_never_runs_later(stack):
    leader, product, member, _ = _catalog_down_and_order_refused(stack)
    _no_order_and_stock_unchanged(stack, leader, product, member)


def test_a_call_nobody_could_take_does_not_fail_a_later_healthy_one(stack):
    """Found by the e2e suite: requests go without publisher confirms, so the broker's "no route"
    for a call made while a service was still starting came back later and failed that channel's
    next, healthy call as "unknown service" (a 503 right after the stack was up)."""
    stack.start("gateway")  # no service has declared its queue yet: nobody can take a call
    early = stack.http("GET", "/health")
    assert early.status_code == 503 and set(early.json()["down"]) == set(SERVICES), early.text

    stack.declare_queues()
    stack.start(*SERVICES)
    for _ in range(5):
        health = stack.http("GET", "/health")
        assert health.status_code == 200, health.text
    leader = stack.signup_leader()
    assert stack.http("GET", f"/api/v1/communities/{leader['slug']}").status_code == 200
