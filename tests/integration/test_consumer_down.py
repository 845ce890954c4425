"""Events published while their consumer is down wait in its (pre-declared) queue."""

import pytest

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("consumer", ["stopped", "never_started"])
def test_events_published_while_consumer_down_are_processed(stack, consumer):
    # "never_started": only deploy/bootstrap.py's declaration keeps the events (fresh deploy).
    stack.declare_queues()
    stack.start(
        "catalog", "orders", "crm"
    )  # crm: the checkout (tier, coupon, points) of every order
    if consumer == "stopped":
        stack.start("fulfillment")
        stack.stop("fulfillment")
    opened = stack.rpc(
        "crm",
        "signup_leader",
        {
            "community_name": "Down",
            "slug": f"down-{consumer}".replace("_", "-"),
            "phone": "13800000099",
            "password": "leader-secret-1",
            "display_name": "Leader",
        },
    )
    joined = stack.rpc(
        "crm",
        "join_community",
        opened["community"]["slug"],
        {
            "phone": "13900000099",
            "password": "member-secret-1",
            "name": "Member",
            "building": "1",
            "unit": "1",
        },
    )
    leader = {
        "tenant_id": opened["tenant_id"],
        "role": "leader",
        "account_id": opened["account_id"],
    }
    member = {
        "tenant_id": joined["tenant_id"],
        "role": "member",
        "account_id": joined["account_id"],
        "member_id": joined["member_id"],
    }
    product = stack.rpc(
        "catalog",
        "create_product",
        {"name": "Rice", "price_cents": 5000, "stock": 10},
        context=leader,
    )

    orders = [
        stack.rpc(
            "orders",
            "place_order",
            {"items": [{"product_id": product["id"], "quantity": 1}]},
            idempotency_key=f"down-{i}",
            context=member,
        )
        for i in range(3)
    ]
    # Fulfillment hears of an order once it is paid.
    for order in orders:
        assert stack.rpc("orders", "mark_paid", order["id"], context=leader)["status"] == "paid"
    # The relay has published their events while nobody consumed them.
    stack.wait_for(
        lambda: (
            stack.scalar("orders", "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
        ),
        timeout=10,
        message="the relay to publish the orders' events",
    )
    assert stack.scalar("fulfillment", "SELECT count(*) FROM fulfillment_orders") == 0

    stack.start("fulfillment")
    for order in orders:
        recorded = stack.wait_for(
            lambda order=order: stack.rpc(
                "fulfillment", "get_fulfillment", order["id"], context=leader, timeout=2
            ),
            timeout=10,
            message=f"fulfillment to record {order['id']}",
        )
        assert recorded["status"] == "to_pack"
        assert recorded["total_quantity"] == 1
        assert recorded["items"][0]["product_id"] == product["id"]
    assert stack.scalar("fulfillment", "SELECT count(*) FROM fulfillment_orders") == 3
    assert stack.scalar("fulfillment", "SELECT count(*) FROM parked_events") == 0
    assert stack.rpc("catalog", "get_product", product["id"], context=leader)["stock"] == 7
