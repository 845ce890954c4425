"""Concurrent orders against scarce stock: the conditional decrement never oversells."""

import eventlet
import pytest

pytestmark = pytest.mark.integration


def test_no_oversell(stack):
    # 30 orders queue up behind 10 workers per service: give the gateway room to wait.
    stack.gateway_options["RPC_TIMEOUT_SECONDS"] = 15
    stack.declare_queues()
    stack.start("catalog", "orders", "crm", "gateway")

    leader = stack.signup_leader()
    product = stack.create_product(leader["token"], stock=10)
    members = [stack.join_member(leader["slug"], name=f"Neighbour {i}") for i in range(3)]

    def place(i):
        member = members[i % len(members)]
        response = stack.http("POST", "/api/v1/orders", token=member["token"], timeout=30,
                              json={"items": [{"product_id": product["id"], "quantity": 1}]})
        return response.status_code, response.json()

    pool = eventlet.GreenPool(30)
    results = list(pool.imap(place, range(30)))
    statuses = sorted(status for status, _ in results)

    assert statuses.count(201) == 10, statuses
    assert statuses.count(409) == 20, statuses
    for status, body in results:
        if status == 409:
            assert body["reason"] == "out_of_stock"
            assert body["available"] >= 0
    assert stack.product_stock(leader["token"], product["id"]) == 0

    # Exactly the ten winners exist as orders, one unit each.
    listed = stack.http("GET", "/api/v1/orders", token=leader["token"], params={"limit": 50})
    assert listed.status_code == 200, listed.text
    assert len(listed.json()["items"]) == 10
    assert stack.scalar("catalog", "SELECT count(*) FROM stock_reservations") == 10
