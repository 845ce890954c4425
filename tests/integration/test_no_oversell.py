"""Concurrent orders against scarce stock: the conditional decrements never oversell.

``shop``: ten units of a product, thirty orders. ``live``: a live item with a quota of ten
and a per-member limit of two, the product itself in ample stock: the quota and every
member's limit hold (the same channel-line code guards a wave's items).
"""

from datetime import UTC, datetime

import eventlet
import pytest

pytestmark = pytest.mark.integration

QUOTA = 10
LIMIT = 2


def live_session(stack, leader, product):
    created = stack.http(
        "POST",
        "/api/v1/live-sessions",
        token=leader["token"],
        json={
            "title": "Flash sale",
            "host_persona": "Leader",
            "scheduled_at": datetime.now(UTC).isoformat(),
            "items": [
                {
                    "product_id": product["id"],
                    "live_price_cents": 990,
                    "quota": QUOTA,
                    "per_member_limit": LIMIT,
                }
            ],
        },
    )
    assert created.status_code == 201, created.text
    started = stack.http(
        "POST", f"/api/v1/live-sessions/{created.json()['id']}/start", token=leader["token"]
    )
    assert started.status_code == 200, started.text
    return created.json()["id"]


@pytest.mark.parametrize("channel", ["shop", "live"])
def test_no_oversell(stack, channel):
    # 30 orders queue up behind 10 workers per service: give the gateway room to wait.
    stack.gateway_options["RPC_TIMEOUT_SECONDS"] = 15
    stack.declare_queues()
    stack.start("catalog", "orders", "crm", "gateway")

    leader = stack.signup_leader()
    if channel == "shop":
        product = stack.create_product(leader["token"], stock=10)
        members = [stack.join_member(leader["slug"], name=f"Neighbour {i}") for i in range(3)]
        order_channel = {"type": "shop"}
    else:
        # Seven members with a limit of two could take 14: the quota of 10 is what binds.
        product = stack.create_product(leader["token"], stock=100)
        members = [stack.join_member(leader["slug"], name=f"Neighbour {i}") for i in range(7)]
        order_channel = {"type": "live", "id": live_session(stack, leader, product)}

    def place(i):
        member = members[i % len(members)]
        response = stack.http(
            "POST",
            "/api/v1/orders",
            token=member["token"],
            timeout=30,
            json={
                "items": [{"product_id": product["id"], "quantity": 1}],
                "channel": order_channel,
            },
        )
        return member["member_id"], response.status_code, response.json()

    pool = eventlet.GreenPool(30)
    results = list(pool.imap(place, range(30)))
    statuses = sorted(status for _, status, _ in results)

    assert statuses.count(201) == 10, statuses
    assert statuses.count(409) == 20, statuses
    reasons = {"out_of_stock"} if channel == "shop" else {"quota_exhausted", "limit_reached"}
    for _, status, body in results:
        if status == 409:
            assert body["reason"] in reasons, body
            assert body.get("available", 0) >= 0
    if channel == "shop":
        assert stack.product_stock(leader["token"], product["id"]) == 0
    else:
        assert stack.product_stock(leader["token"], product["id"]) == 100 - QUOTA
        won = {}
        for member_id, status, body in results:
            if status == 201:
                assert body["lines"][0]["unit_price_cents"] == 990
                won[member_id] = won.get(member_id, 0) + 1
        assert max(won.values()) <= LIMIT, won
        live = stack.http(
            "GET", f"/api/v1/live-sessions/{order_channel['id']}", token=leader["token"]
        ).json()
        assert (live["items"][0]["sold"], live["items"][0]["remaining"]) == (QUOTA, 0)
        assert live["stats"]["orders"] == QUOTA and live["stats"]["buyers"] == len(won)
        assert stack.scalar("catalog", "SELECT max(quantity) FROM channel_purchases") <= LIMIT

    # Exactly the ten winners exist as orders, one unit each.
    listed = stack.http("GET", "/api/v1/orders", token=leader["token"], params={"limit": 50})
    assert listed.status_code == 200, listed.text
    assert len(listed.json()["items"]) == 10
    assert stack.scalar("catalog", "SELECT count(*) FROM stock_reservations") == 10
