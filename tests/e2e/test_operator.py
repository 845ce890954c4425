"""The platform operator's console over HTTP: log in from configuration, see the services,
find a parked event and replay it (and discard another), suspend a community (its member sees
the notice and cannot order), resume it (they order again), and read the audit trail."""

import json
import uuid
from datetime import UTC, datetime

import pytest
import requests
from conftest import AUTH, MANAGEMENT, OPERATOR_PASSWORD, OPERATOR_PHONE
from test_tenant_isolation import community, ok
from test_walking_skeleton import api, eventually

from services.infra.topology import SERVICES

pytestmark = pytest.mark.e2e


def operator_token(stack):
    answer = ok(
        api(
            stack,
            "POST",
            "/operator/login",
            json={"phone": OPERATOR_PHONE, "password": OPERATOR_PASSWORD},
        )
    )
    assert (answer["role"], answer["community"]) == ("operator", None)
    return answer["token"]


def park(stack, tenant_id):
    """An event orders cannot take (``member_id`` must be text): parked at once for an operator."""
    envelope = {
        "event_id": uuid.uuid4().hex,
        "event_type": "checkout_terms_changed",
        "version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "tenant_id": tenant_id,
        "correlation_id": None,
        "data": {"member_id": 123},
    }
    requests.post(
        f"{MANAGEMENT}/exchanges/{stack.vhost}/crm.events/publish",
        auth=AUTH,
        timeout=10,
        json={
            "properties": {"content_type": "application/json", "delivery_mode": 2},
            "routing_key": "checkout_terms_changed",
            "payload": json.dumps(envelope),
            "payload_encoding": "string",
        },
    ).raise_for_status()
    return envelope


def parked_of(stack, token, event_id, status="parked"):
    items = ok(api(stack, "GET", f"/operator/parked-events?service=orders&status={status}", token))[
        "items"
    ]
    return next((item for item in items if item["event_id"] == event_id), None)


def order(stack, a, product_id):
    return api(
        stack,
        "POST",
        "/orders",
        a["member"],
        json={"items": [{"product_id": product_id, "quantity": 1}]},
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )


def test_the_operator_runs_the_platform(stack):
    token = operator_token(stack)
    wrong = api(
        stack, "POST", "/operator/login", json={"phone": OPERATOR_PHONE, "password": "not-it"}
    )
    assert wrong.status_code == 401
    a = community(stack, "ops")
    # An operator token is of no community; a leader's token is no operator's.
    assert api(stack, "GET", "/me", token).status_code == 403
    assert api(stack, "GET", "/operator/services", a["leader"]).status_code == 403

    health = ok(api(stack, "GET", "/operator/services", token))
    assert health["down"] == [] and set(health["services"]) == set(SERVICES)

    # A parked event, found and replayed with a corrected envelope: resolved.
    bad = park(stack, a["tenant_id"])
    parked = eventually(lambda: parked_of(stack, token, bad["event_id"]))
    assert parked and "invalid event data" in parked["last_error"]
    fixed = {**bad, "data": {"member_id": None}}
    replayed = ok(
        api(
            stack,
            "POST",
            f"/operator/parked-events/orders/{parked['id']}/replay",
            token,
            json={"payload": fixed},
        )
    )
    assert replayed == {"service": "orders", "id": parked["id"], "status": "retrying"}
    assert eventually(
        lambda: parked_of(stack, token, bad["event_id"], status="resolved"), timeout=30
    )
    # Another, discarded: kept for the record; discarding it twice is a conflict.
    other = park(stack, a["tenant_id"])
    parked = eventually(lambda: parked_of(stack, token, other["event_id"]))
    ok(api(stack, "POST", f"/operator/parked-events/orders/{parked['id']}/discard", token))
    assert parked_of(stack, token, other["event_id"], status="discarded")
    again = api(stack, "POST", f"/operator/parked-events/orders/{parked['id']}/discard", token)
    assert again.status_code == 409
    assert api(stack, "POST", "/operator/parked-events/payments/1/replay", token).status_code == 404

    # The community, listed; suspended: a notice for its member, and no ordering.
    product = ok(
        api(
            stack,
            "POST",
            "/products",
            a["leader"],
            json={"name": "鸡蛋", "price_cents": 1000, "stock": 50},
        )
    )
    ok(order(stack, a, product["id"]))
    listed = ok(api(stack, "GET", "/operator/communities", token))["items"]
    row = next(c for c in listed if c["slug"] == a["slug"])
    assert (row["members_total"], row["status"]) == (1, "active")
    ok(
        api(
            stack,
            "POST",
            f"/operator/communities/{a['slug']}/suspend",
            token,
            json={"reason": "平台费未缴"},
        )
    )
    me = ok(api(stack, "GET", "/me", a["member"]))
    assert (me["community"]["suspended"], me["community"]["suspended_reason"]) == (
        True,
        "平台费未缴",
    )
    card = ok(api(stack, "GET", f"/communities/{a['slug']}"))
    assert card["suspended"] is True

    def refused():
        response = order(stack, a, product["id"])
        return response if response.status_code == 409 else None

    response = eventually(refused, timeout=30)
    assert response is not None and response.json()["reason"] == "community_suspended"
    assert (
        api(
            stack,
            "POST",
            f"/operator/communities/{a['slug']}/suspend",
            token,
            json={"reason": "again"},
        ).status_code
        == 409
    )
    listed = ok(api(stack, "GET", "/operator/communities?status=suspended", token))["items"]
    assert a["slug"] in [c["slug"] for c in listed]

    # Resumed: the member orders again.
    ok(api(stack, "POST", f"/operator/communities/{a['slug']}/resume", token))
    assert ok(api(stack, "GET", "/me", a["member"]))["community"]["suspended"] is False
    placed = eventually(
        lambda: (lambda r: r if r.status_code == 201 else None)(order(stack, a, product["id"])),
        timeout=30,
    )
    assert placed is not None and placed.json()["status"] == "pending_payment"

    # Failing deliveries can be read; and the audit trail holds every action.
    assert "items" in ok(api(stack, "GET", "/operator/deliveries?status=failed", token))
    trail = ok(api(stack, "GET", "/operator/audit?limit=50", token))["items"]
    actions = [(e["action"], e["outcome"]) for e in trail]
    for expected in [
        ("login", "ok"),
        ("login", "refused"),
        ("replay", "ok"),
        ("discard", "ok"),
        ("discard", "refused"),
        ("suspend", "ok"),
        ("suspend", "refused"),
        ("resume", "ok"),
    ]:
        assert expected in actions, (expected, actions)
    assert any(e["target"] == a["slug"] and e["action"] == "suspend" for e in trail)
