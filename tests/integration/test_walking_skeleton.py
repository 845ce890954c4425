"""The spine, end to end over real RabbitMQ: signup -> product -> join -> order -> pay -> events."""

import uuid
from datetime import datetime

import pytest

from services.infra import topology

pytestmark = pytest.mark.integration

SERVICES = (*topology.SERVICES, topology.GATEWAY)


def test_walking_skeleton(stack):
    stack.declare_queues()
    stack.start(*SERVICES)

    leader = stack.signup_leader()
    product = stack.create_product(leader["token"], stock=5, price_cents=1500)
    assert product["stock"] == 5
    member = stack.join_member(leader["slug"])

    key = uuid.uuid4().hex
    order_body = {
        "items": [{"product_id": product["id"], "quantity": 2}],
        "channel": {"type": "shop"},
    }
    first = stack.http(
        "POST",
        "/api/v1/orders",
        token=member["token"],
        json=order_body,
        headers={"Idempotency-Key": key},
    )
    assert first.status_code == 201, first.text
    order = first.json()
    assert order["status"] == "pending_payment"
    assert order["total_cents"] == 3000
    assert order["lines"][0]["quantity"] == 2

    retry = stack.http(
        "POST",
        "/api/v1/orders",
        token=member["token"],
        json=order_body,
        headers={"Idempotency-Key": key},
    )
    assert retry.status_code == 201, retry.text
    assert retry.json()["id"] == order["id"]

    shown = stack.http("GET", f"/api/v1/orders/{order['id']}", token=member["token"])
    assert shown.status_code == 200, shown.text
    assert shown.json()["id"] == order["id"]
    assert [entry["status"] for entry in shown.json()["timeline"]] == ["pending_payment"]

    # The retry reserved nothing more: 5 - 2.
    assert stack.product_stock(leader["token"], product["id"]) == 3

    # The member paid in person: the leader marks the order paid.
    paid = stack.http("POST", f"/api/v1/orders/{order['id']}/mark-paid", token=leader["token"])
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "paid"

    # order_paid reaches fulfillment and crm through the outbox (an unpaid order is nothing to
    # them).
    leader_context = {"tenant_id": leader["tenant_id"], "role": "leader", "account_id": "it-leader"}
    recorded = stack.wait_for(
        lambda: stack.rpc(
            "fulfillment", "get_fulfillment", order["id"], context=leader_context, timeout=2
        ),
        timeout=10,
        message="fulfillment to record the paid order",
    )
    assert recorded["status"] == "to_pack"
    assert recorded["total_quantity"] == 2

    def member_stats():
        me = stack.http("GET", "/api/v1/me", token=member["token"])
        assert me.status_code == 200, me.text
        stats = me.json()["member"]["order_stats"]
        return stats if stats["paid_orders"] == 1 else None

    stats = stack.wait_for(
        member_stats, timeout=10, message="crm order_stats to count the paid order"
    )
    assert stats["paid_orders"] == 1 and stats["spent_cents"] == 3000
    assert datetime.fromisoformat(stats["last_order_at"]) == datetime.fromisoformat(
        order["created_at"]
    )

    # crm.member_joined reaches referral, which prepares the member's invite code.
    def referral():
        response = stack.http("GET", "/api/v1/me/referral", token=member["token"])
        return response.json() if response.status_code == 200 else None

    invite = stack.wait_for(referral, timeout=10, message="referral to issue an invite code")
    assert len(invite["invite_code"]) == 8
    assert invite["invite_code"] in invite["invite_url"]

    # Another community's leader sees nothing of this one.
    other = stack.signup_leader()
    assert (
        stack.http("GET", f"/api/v1/orders/{order['id']}", token=other["token"]).status_code == 404
    )
    assert (
        stack.http("GET", f"/api/v1/products/{product['id']}", token=other["token"]).status_code
        == 404
    )
    listed = stack.http("GET", "/api/v1/orders", token=other["token"])
    assert listed.status_code == 200 and listed.json()["items"] == []
