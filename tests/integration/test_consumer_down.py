"""Events published while their consumer is down wait in its (pre-declared) queue."""

import pytest

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("consumer", ["stopped", "never_started"])
def test_events_published_while_consumer_down_are_processed(stack, consumer):
    # "never_started": only deploy/bootstrap.py's declaration keeps the events (fresh deploy).
    stack.declare_queues()
    stack.start("catalog", "orders")
    if consumer == "stopped":
        stack.start("fulfillment")
        stack.stop("fulfillment")
    leader = {"tenant_id": "tenant-down", "role": "leader", "account_id": "leader-1"}
    member = {"tenant_id": "tenant-down", "role": "member", "account_id": "account-1", "member_id": "member-1"}
    product = stack.rpc("catalog", "create_product", {"name": "Rice", "price_cents": 5000, "stock": 10},
                        context=leader)

    orders = [
        stack.rpc("orders", "place_order", {"items": [{"product_id": product["id"], "quantity": 1}]},
                  idempotency_key=f"down-{i}", context=member)
        for i in range(3)
    ]
    # The relay has published all three while nobody consumed them.
    stack.wait_for(lambda: stack.scalar("orders", "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0,
                   timeout=10, message="the relay to publish the orders' events")
    assert stack.scalar("fulfillment", "SELECT count(*) FROM fulfillment_orders") == 0

    stack.start("fulfillment")
    for order in orders:
        recorded = stack.wait_for(
            lambda order=order: stack.rpc("fulfillment", "get_fulfillment", order["id"], context=leader, timeout=2),
            timeout=10, message=f"fulfillment to record {order['id']}",
        )
        assert recorded["total_quantity"] == 1
        assert recorded["items"][0]["product_id"] == product["id"]
    assert stack.scalar("fulfillment", "SELECT count(*) FROM fulfillment_orders") == 3
    assert stack.scalar("fulfillment", "SELECT count(*) FROM parked_events") == 0
    assert stack.rpc("catalog", "get_product", product["id"], context=leader)["stock"] == 7
