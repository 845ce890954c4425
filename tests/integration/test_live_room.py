"""The live room in real time: two gateway processes, one purchase, every viewer told."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests
import websocket

pytestmark = pytest.mark.integration


def live_session(stack, leader, product, quota=3):
    response = stack.http(
        "POST",
        "/api/v1/live-sessions",
        token=leader["token"],
        json={
            "title": "周三鲜奶专场",
            "host_persona": "团长李姐",
            "scheduled_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
            "items": [
                {
                    "product_id": product["id"],
                    "live_price_cents": 990,
                    "quota": quota,
                    "per_member_limit": 1,
                }
            ],
        },
    )
    assert response.status_code == 201, response.text
    session = response.json()
    started = stack.http(
        "POST", f"/api/v1/live-sessions/{session['id']}/start", token=leader["token"]
    )
    assert started.status_code == 200, started.text
    return session


def connect(port, session_id, token):
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{port}/api/v1/live-sessions/{session_id}/ws",
        header=[f"Authorization: Bearer {token}"],
        timeout=10,
    )
    return ws, json.loads(ws.recv())


def next_of(ws, kind):
    """The next message of ``kind`` (others, like viewer counts, may come in between)."""
    while True:
        message = json.loads(ws.recv())
        if message["type"] == kind:
            return message


def order(stack, member, session, product, port=None):
    base = f"http://127.0.0.1:{port}" if port else stack.base_url
    return requests.post(
        f"{base}/api/v1/orders",
        headers={"Authorization": f"Bearer {member['token']}"},
        json={
            "items": [{"product_id": product["id"], "quantity": 1}],
            "channel": {"type": "live", "id": session["id"]},
        },
        timeout=15,
    )


def test_a_purchase_on_one_gateway_reaches_viewers_on_another(stack):
    stack.declare_queues()
    stack.start("catalog", "orders", "crm", "gateway")
    other_port = stack.start_another_gateway()
    leader = stack.signup_leader()
    product = stack.create_product(leader["token"], stock=50, name="鲜牛奶")
    viewer = stack.join_member(leader["slug"], name="李秀英")
    buyers = [
        stack.join_member(leader["slug"], name=name)
        for name in ("王建国", "张伟", "赵敏", "钱多多")
    ]
    session = live_session(stack, leader, product, quota=3)

    ws, snapshot = connect(
        other_port, session["id"], viewer["token"]
    )  # the late viewer: state first
    assert snapshot["type"] == "snapshot"
    assert snapshot["session"]["status"] == "live"
    assert snapshot["session"]["items"][0]["remaining"] == 3
    assert next_of(ws, "viewers")["watching"] == 1

    bought = order(stack, buyers[0], session, product)  # through the first gateway process
    assert bought.status_code == 201, bought.text
    purchase = next_of(ws, "purchase")
    assert purchase["buyer"] == "王**"
    assert purchase["items"] == [{"product_id": product["id"], "name": "鲜牛奶", "quantity": 1}]
    assert next_of(ws, "stock")["items"] == [{"product_id": product["id"], "remaining": 2}]

    # A second viewer comes and goes: the first one sees the count move.
    second, _ = connect(stack.port, session["id"], buyers[1]["token"])
    assert next_of(ws, "viewers")["watching"] == 2
    second.close()
    assert next_of(ws, "viewers")["watching"] == 1

    for buyer in buyers[1:3]:
        assert order(stack, buyer, session, product).status_code == 201
    assert next_of(ws, "stock")["items"][0]["remaining"] == 1
    assert next_of(ws, "stock")["items"][0]["remaining"] == 0
    # Both gateway processes now know it is gone: a late buyer is refused without a round trip.
    late = stack.wait_for(
        lambda: order(stack, buyers[3], session, product, other_port).json(),
        message="the sold-out answer",
    )
    assert late["status"] == 409 and late["reason"] == "quota_exhausted"
    ws.close()

    stats = stack.http(
        "GET", f"/api/v1/live-sessions/{session['id']}", token=leader["token"]
    ).json()["stats"]
    assert stats["orders"] == 3 and stats["buyers"] == 3
    assert stats["viewers"] == 2 and stats["peak_viewers"] == 2


def test_only_members_of_the_community_with_a_token_get_in(stack):
    stack.declare_queues()
    stack.start("catalog", "crm", "gateway")
    leader = stack.signup_leader()
    product = stack.create_product(leader["token"], stock=5)
    session = live_session(stack, leader, product)
    stranger = stack.join_member(stack.signup_leader()["slug"])
    url = f"ws://127.0.0.1:{stack.port}/api/v1/live-sessions/{session['id']}/ws"

    for header, status in (([], 401), ([f"Authorization: Bearer {stranger['token']}"], 404)):
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            websocket.create_connection(url, header=header, timeout=10)
        assert refused.value.status_code == status

    # A browser sends the token as its second subprotocol and gets the first one back.
    member = stack.join_member(leader["slug"])
    ws = websocket.create_connection(url, subprotocols=["linli.v1", member["token"]], timeout=10)
    assert json.loads(ws.recv())["type"] == "snapshot"
    assert ws.getsubprotocol() == "linli.v1"
    ws.close()
