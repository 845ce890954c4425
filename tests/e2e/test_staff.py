"""Staff (团长助理) over HTTP: the leader adds a helper, who logs in, works the pickup desk and is
refused what only the leader decides; another community's leader cannot see or remove them;
once removed, their login, the token they still hold and the live room they watch stop working."""

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import websocket
from test_tenant_isolation import community, new_phone, ok
from test_walking_skeleton import api, eventually

pytestmark = pytest.mark.e2e

PASSWORD = "helper-secret-1"
PROBLEM = "application/problem+json"


def problem(response, status):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith(PROBLEM), response.headers["Content-Type"]
    return response.json()


def login(stack, slug, phone, password=PASSWORD):
    return api(
        stack, "POST", "/auth/login", json={"community": slug, "phone": phone, "password": password}
    )


def ready_order(stack, a, mover):
    """A paid order of A's member, moved to the pickup shelf by ``mover``: its pickup code."""
    product = ok(
        api(
            stack,
            "POST",
            "/products",
            a["leader"],
            json={"name": "土鸡蛋", "price_cents": 1500, "stock": 50},
        )
    )
    order = ok(
        api(
            stack,
            "POST",
            "/orders",
            a["member"],
            json={"items": [{"product_id": product["id"], "quantity": 1}]},
        )
    )
    ok(api(stack, "POST", f"/orders/{order['id']}/mark-paid", a["leader"]))

    def move(status, **body):
        return api(
            stack,
            "POST",
            f"/orders/{order['id']}/fulfillment",
            mover,
            json={"status": status, **body},
        )

    assert eventually(
        lambda: move("packed", pickup_point="门卫室").status_code == 200
    )  # fulfilment hears of it by event
    ok(move("delivering"))
    return order["id"], ok(move("ready_for_pickup", pickup_point="门卫室"))["pickup"]["code"]


def test_staff_are_added_by_the_leader_work_the_desk_and_lose_access_when_removed(stack):
    a, b = community(stack, "stf"), community(stack, "stb")
    phone = new_phone("17")

    # The leader adds a helper: 201 with the account, never a password or its hash.
    added = api(
        stack,
        "POST",
        "/community/staff",
        a["leader"],
        json={"phone": phone, "password": PASSWORD, "display_name": "小张"},
    )
    assert added.status_code == 201, added.text
    helper = added.json()
    assert set(helper) == {"id", "phone", "display_name", "role", "created_at"}
    assert (helper["phone"], helper["display_name"], helper["role"]) == (phone, "小张", "staff")
    assert PASSWORD not in added.text and "argon2" not in added.text

    # Input is validated like a signup; a phone already used here is a 409 with a reason.
    invalid = problem(
        api(
            stack,
            "POST",
            "/community/staff",
            a["leader"],
            json={"phone": "123", "password": "short", "display_name": ""},
        ),
        422,
    )
    assert {"phone", "password", "display_name"} <= set(invalid["errors"])
    problem(
        api(
            stack,
            "POST",
            "/community/staff",
            a["leader"],
            json={
                "phone": new_phone("17"),
                "password": PASSWORD,
                "display_name": "x",
                "role": "leader",
            },
        ),
        422,
    )
    again = problem(
        api(
            stack,
            "POST",
            "/community/staff",
            a["leader"],
            json={"phone": phone, "password": PASSWORD, "display_name": "小张二号"},
        ),
        409,
    )
    assert again["reason"] == "phone_taken"
    listed = ok(api(stack, "GET", "/community/staff", a["leader"]))["items"]
    assert [s["id"] for s in listed] == [helper["id"]]

    # The helper logs in with the community's address, phone and password, as staff.
    session = ok(login(stack, a["slug"], phone))
    assert session["role"] == "staff" and session["community"]["id"] == a["tenant_id"]
    staff = session["token"]
    me = ok(api(stack, "GET", "/me", staff))
    assert me["role"] == "staff" and me["account"]["id"] == helper["id"] and me["member"] is None

    # What staff do: move orders, verify pickup codes, look at orders and members.
    order_id, code = ready_order(stack, a, staff)
    verified = ok(api(stack, "POST", "/pickups/verify", staff, json={"code": code}))
    assert verified["order_id"] == order_id
    assert eventually(
        lambda: api(stack, "GET", f"/orders/{order_id}", staff).json()["status"] == "completed"
    )
    assert order_id in [o["id"] for o in ok(api(stack, "GET", "/orders", staff))["items"]]
    assert a["member_id"] in [m["id"] for m in ok(api(stack, "GET", "/members", staff))["items"]]
    ok(api(stack, "GET", "/community/settings", staff))

    # What only the leader decides: money given back, the rules, and who is staff.
    refused = {
        "settings": api(stack, "PUT", "/community/settings", staff, json={"points_per_yuan": 5}),
        "refund": api(
            stack,
            "POST",
            f"/orders/{order_id}/refund",
            staff,
            json={"amount_cents": 100, "reason": "破损"},
        ),
        "compensate": api(
            stack,
            "POST",
            f"/orders/{order_id}/compensate",
            staff,
            json={"type": "points", "amount": 10, "reason": "抱歉"},
        ),
        "add staff": api(
            stack,
            "POST",
            "/community/staff",
            staff,
            json={"phone": new_phone("17"), "password": PASSWORD, "display_name": "小李"},
        ),
        "list staff": api(stack, "GET", "/community/staff", staff),
        "remove staff": api(stack, "DELETE", f"/community/staff/{helper['id']}", staff),
    }
    for name, response in refused.items():
        assert response.status_code == 403, (name, response.text)
        assert response.headers["Content-Type"].startswith(PROBLEM), name
    assert ok(api(stack, "GET", "/community/settings", a["leader"]))["points_per_yuan"] != 5
    assert (
        ok(api(stack, "GET", f"/orders/{order_id}", a["leader"]))["status"] == "completed"
    )  # no refund happened

    # Another community's leader neither sees nor removes A's helper; A's member may not try.
    theirs = ok(api(stack, "GET", "/community/staff", b["leader"]))["items"]
    assert theirs == [] and phone not in str(theirs)
    problem(api(stack, "DELETE", f"/community/staff/{helper['id']}", b["leader"]), 404)
    problem(api(stack, "DELETE", f"/community/staff/{helper['id']}", a["member"]), 403)
    # Nor is A's leader or member staff to remove.
    leader_id = ok(api(stack, "GET", "/me", a["leader"]))["account"]["id"]
    member_account = ok(api(stack, "GET", "/me", a["member"]))["account"]["id"]
    for not_staff in (leader_id, member_account, "no-such-account"):
        problem(api(stack, "DELETE", f"/community/staff/{not_staff}", a["leader"]), 404)
    ok(api(stack, "GET", "/me", staff))  # still at work

    # Removed: the token the helper holds stops working at once, and so does their login.
    removed = ok(api(stack, "DELETE", f"/community/staff/{helper['id']}", a["leader"]))
    assert removed == {"id": helper["id"], "deleted": True}
    for method, path in (("GET", "/me"), ("GET", "/orders"), ("GET", "/members")):
        assert problem(api(stack, method, path, staff), 401)["reason"] == "access_removed", path
    problem(api(stack, "POST", "/pickups/verify", staff, json={"code": code}), 401)
    problem(login(stack, a["slug"], phone), 401)
    problem(
        api(stack, "DELETE", f"/community/staff/{helper['id']}", a["leader"]), 404
    )  # twice: nobody to remove
    assert ok(api(stack, "GET", "/community/staff", a["leader"]))["items"] == []

    # Added again (the same person back): the new password works, the old token stays refused.
    time.sleep(1.1)  # tokens carry whole seconds: one from the removal's second would be refused
    back = ok(
        api(
            stack,
            "POST",
            "/community/staff",
            a["leader"],
            json={"phone": phone, "password": "helper-secret-2", "display_name": "小张"},
        ),
        201,
    )
    assert back["id"] == helper["id"]
    problem(login(stack, a["slug"], phone), 401)  # the old password
    fresh = ok(login(stack, a["slug"], phone, "helper-secret-2"))["token"]
    assert ok(api(stack, "GET", "/me", fresh))["role"] == "staff"
    problem(api(stack, "GET", "/orders", staff), 401)


def test_the_same_phone_may_be_staff_in_two_communities(stack):
    a, b = community(stack, "stc"), community(stack, "std")
    phone = new_phone("17")
    in_a = ok(
        api(
            stack,
            "POST",
            "/community/staff",
            a["leader"],
            json={"phone": phone, "password": PASSWORD, "display_name": "小王"},
        ),
        201,
    )
    in_b = ok(
        api(
            stack,
            "POST",
            "/community/staff",
            b["leader"],
            json={"phone": phone, "password": PASSWORD, "display_name": "小王"},
        ),
        201,
    )
    assert in_a["id"] != in_b["id"]
    ok(api(stack, "DELETE", f"/community/staff/{in_a['id']}", a["leader"]))
    # Removed from A only: B's account is untouched and still logs in there.
    assert ok(login(stack, b["slug"], phone))["role"] == "staff"
    problem(login(stack, a["slug"], phone), 401)
    assert [s["id"] for s in ok(api(stack, "GET", "/community/staff", b["leader"]))["items"]] == [
        in_b["id"]
    ]


def test_a_removed_helper_watching_the_live_room_is_disconnected(stack):
    a = community(stack, "stw")
    phone = new_phone("17")
    helper = ok(
        api(
            stack,
            "POST",
            "/community/staff",
            a["leader"],
            json={"phone": phone, "password": PASSWORD, "display_name": "小王"},
        ),
        201,
    )
    staff = ok(login(stack, a["slug"], phone))["token"]
    milk = ok(
        api(
            stack,
            "POST",
            "/products",
            a["leader"],
            json={"name": "鲜牛奶", "price_cents": 1500, "stock": 50},
        )
    )
    live = ok(
        api(
            stack,
            "POST",
            "/live-sessions",
            a["leader"],
            json={
                "title": "周三直播",
                "host_persona": "团长",
                "scheduled_at": (datetime.now(UTC) + timedelta(minutes=5)).isoformat(),
                "items": [{"product_id": milk["id"], "live_price_cents": 990, "quota": 10}],
            },
        ),
        201,
    )
    ok(api(stack, "POST", f"/live-sessions/{live['id']}/start", a["leader"]))
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{stack.port}/api/v1/live-sessions/{live['id']}/ws",
        header=[f"Authorization: Bearer {staff}"],
        timeout=30,
    )
    try:
        assert json.loads(ws.recv())["type"] == "snapshot"
        ok(api(stack, "DELETE", f"/community/staff/{helper['id']}", a["leader"]))
        # The gateway asks again at its next presence refresh (every 10 s), then closes the socket.
        started = time.monotonic()
        with pytest.raises(websocket.WebSocketConnectionClosedException):
            while True:
                frame = ws.recv()  # viewer counts may arrive first; a closed socket ends it
                if not frame:
                    raise websocket.WebSocketConnectionClosedException("closed")
        assert time.monotonic() - started < 25
    finally:
        ws.close()
