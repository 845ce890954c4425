"""After-sale (售后) over HTTP: a shop order paid, moved on its own to a pickup point, picked up;
the member opens a case, the leader resolves it with a coupon (the member has it) or a partial
refund (the order shows the money back); cases and compensations on the order's history.
Shop orders batched per pickup point and day, and moved as a batch."""

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from test_walking_skeleton import api, eventually

pytestmark = pytest.mark.e2e


def ok(response):
    return response if response.status_code in (200, 201) else None


def test_a_case_resolved_with_a_coupon_and_another_with_a_partial_refund(stack):
    slug = f"as-{uuid.uuid4().hex[:6]}"
    leader = api(
        stack,
        "POST",
        "/leaders/signup",
        json={
            "community_name": "售后测试团",
            "slug": slug,
            "phone": "13800000071",
            "password": "leader-secret-1",
            "display_name": "团长",
        },
    ).json()["token"]
    berries = api(
        stack,
        "POST",
        "/products",
        leader,
        json={"name": "丹东草莓 1斤", "price_cents": 3900, "stock": 50},
    ).json()
    member = api(
        stack,
        "POST",
        f"/communities/{slug}/join",
        json={
            "phone": "13900000072",
            "password": "member-secret-1",
            "name": "李阿姨",
            "building": "5栋",
            "unit": "302",
        },
    ).json()["token"]

    def order_picked_up():
        placed = api(
            stack,
            "POST",
            "/orders",
            member,
            json={"items": [{"product_id": berries["id"], "quantity": 2}]},
        )
        assert placed.status_code == 201, placed.text
        order_id = placed.json()["id"]
        # Paid in person, the leader's retry with the same key gets the same answer.
        paid = api(
            stack,
            "POST",
            f"/orders/{order_id}/mark-paid",
            leader,
            headers={"Idempotency-Key": f"pay-{order_id}"},
        )
        assert paid.status_code == 200, paid.text
        again = api(
            stack,
            "POST",
            f"/orders/{order_id}/mark-paid",
            leader,
            headers={"Idempotency-Key": f"pay-{order_id}"},
        )
        assert again.status_code == 200 and again.json() == paid.json()

        def move(status, **extra):
            return api(
                stack,
                "POST",
                f"/orders/{order_id}/fulfillment",
                leader,
                json={"status": status, **extra},
            )

        assert eventually(
            lambda: ok(move("packed", pickup_point="5栋门卫室"))
        )  # order_paid arrives by event
        assert move("delivering").json()["moved"] is True
        ready = move("ready_for_pickup", pickup_point="5栋门卫室")
        assert ready.status_code == 200, ready.text
        code = ready.json()["pickup"]["code"]
        # Too early for a case: the order is not completed yet.
        early = api(
            stack,
            "POST",
            f"/orders/{order_id}/after-sales",
            member,
            json={"kind": "damaged", "description": "还没拿到"},
        )
        assert early.status_code == 409 and early.json()["reason"] == "not_completed"
        assert api(stack, "POST", "/pickups/verify", leader, json={"code": code}).status_code == 200
        assert eventually(
            lambda: api(stack, "GET", f"/orders/{order_id}", member).json()["status"] == "completed"
        )
        return order_id

    # --- a case resolved with a coupon -----------------------------------------------------------
    first = order_picked_up()
    opened = api(
        stack,
        "POST",
        f"/orders/{first}/after-sales",
        member,
        json={
            "kind": "damaged",
            "description": "有三颗草莓压坏了",
            "photo_url": "https://img.example.com/berry.jpg",
        },
    )
    assert opened.status_code == 201, opened.text
    case = opened.json()
    assert case["status"] == "open" and case["kind"] == "damaged"
    assert (
        api(
            stack,
            "POST",
            f"/orders/{first}/after-sales",
            member,
            json={"kind": "damaged", "description": "again"},
        ).status_code
        == 409
    )  # one open case per order
    assert (
        api(
            stack,
            "POST",
            f"/orders/{first}/after-sales",
            member,
            json={"kind": "broken", "description": "x"},
        ).status_code
        == 422
    )
    assert (
        api(stack, "GET", "/after-sales?status=open", leader).json()["items"][0]["id"] == case["id"]
    )
    assert [c["id"] for c in api(stack, "GET", "/after-sales", member).json()["items"]] == [
        case["id"]
    ]
    assert (
        api(
            stack,
            "POST",
            f"/after-sales/{case['id']}/resolve",
            member,
            json={"compensation": {"type": "coupon", "amount": 500}},
        ).status_code
        == 403
    )
    too_big = api(
        stack,
        "POST",
        f"/after-sales/{case['id']}/resolve",
        leader,
        json={"compensation": {"type": "coupon", "amount": 7801}},
    )
    assert too_big.status_code == 422, too_big.text

    resolved = api(
        stack,
        "POST",
        f"/after-sales/{case['id']}/resolve",
        leader,
        json={"compensation": {"type": "coupon", "amount": 500}},
    )
    assert resolved.status_code == 200, resolved.text
    assert (
        resolved.json()["status"] == "resolved"
        and resolved.json()["compensation"]["type"] == "coupon"
    )
    twice = api(
        stack,
        "POST",
        f"/after-sales/{case['id']}/resolve",
        leader,
        json={"compensation": {"type": "coupon", "amount": 500}},
    )
    assert twice.status_code == 409

    def compensation_coupons():
        items = api(stack, "GET", "/me/coupons", member).json()["items"]
        return [c for c in items if c["source"] == "compensation"]

    assert eventually(compensation_coupons)
    (coupon,) = compensation_coupons()
    assert coupon["amount_cents"] == 500 and coupon["kind"] == "fixed"

    def history(order_id):
        shown = api(stack, "GET", f"/orders/{order_id}", member).json()
        return shown if shown["compensations"] else None

    shown = eventually(lambda: history(first))
    assert shown and [(c["id"], c["status"]) for c in shown["after_sales"]] == [
        (case["id"], "resolved")
    ]
    assert [(c["type"], c["amount"]) for c in shown["compensations"]] == [("coupon", 500)]

    # --- a case resolved with a partial refund ---------------------------------------------
    second = order_picked_up()
    case2 = api(
        stack,
        "POST",
        f"/orders/{second}/after-sales",
        member,
        json={"kind": "missing", "description": "少了一盒"},
    ).json()
    too_much = api(
        stack,
        "POST",
        f"/after-sales/{case2['id']}/resolve",
        leader,
        json={"compensation": {"type": "refund", "amount": 7801}},
    )
    assert too_much.status_code == 409 and too_much.json()["reason"] == "exceeds_paid"
    refunded = api(
        stack,
        "POST",
        f"/after-sales/{case2['id']}/resolve",
        leader,
        json={"compensation": {"type": "refund", "amount": 3900}},
    )
    assert refunded.status_code == 200, refunded.text
    assert refunded.json()["compensation"]["status"] == "granted"
    shown = eventually(lambda: history(second))
    assert shown and shown["status"] == "completed"  # a partial refund after completion
    assert [(c["type"], c["amount"]) for c in shown["compensations"]] == [("refund", 3900)]
    assert [c["status"] for c in shown["after_sales"]] == ["resolved"]
    # The money went back once: the rest of the order can still be refunded, no more.
    rest = api(
        stack,
        "POST",
        f"/orders/{second}/refund",
        leader,
        json={"amount_cents": 3901, "reason": "x"},
    )
    assert rest.status_code == 409 and rest.json()["refundable_cents"] == 3900

    # A proactive compensation, no case needed.
    given = api(
        stack,
        "POST",
        f"/orders/{second}/compensate",
        leader,
        json={"type": "points", "amount": 200, "reason": "配送晚了, 抱歉"},
    )
    assert given.status_code == 200, given.text

    def compensation_points():
        items = api(stack, "GET", "/me/points", member).json()["items"]
        return [entry for entry in items if entry["reason"].startswith("售后补偿")]

    assert eventually(compensation_points)
    assert [(e["delta"], e["order_id"]) for e in compensation_points()] == [(200, second)]


def test_shop_orders_form_a_batch_per_pickup_point_and_day(stack):
    slug = f"bt-{uuid.uuid4().hex[:6]}"
    leader = api(
        stack,
        "POST",
        "/leaders/signup",
        json={
            "community_name": "批次测试团",
            "slug": slug,
            "phone": "13800000075",
            "password": "leader-secret-1",
            "display_name": "团长",
        },
    ).json()["token"]
    eggs = api(
        stack,
        "POST",
        "/products",
        leader,
        json={"name": "土鸡蛋 30枚", "price_cents": 4500, "stock": 50},
    ).json()
    member = api(
        stack,
        "POST",
        f"/communities/{slug}/join",
        json={
            "phone": "13900000074",
            "password": "member-secret-1",
            "name": "王叔",
            "building": "2栋",
            "unit": "101",
        },
    ).json()["token"]
    order_ids = []
    for _ in range(2):
        placed = api(
            stack,
            "POST",
            "/orders",
            member,
            json={"items": [{"product_id": eggs["id"], "quantity": 1}]},
        )
        order_ids.append(placed.json()["id"])
        assert api(stack, "POST", f"/orders/{order_ids[-1]}/mark-paid", leader).status_code == 200
    today = (
        datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    )  # the community's calendar day

    def batch():
        listed = api(stack, "GET", f"/batches?date={today}", leader)
        assert listed.status_code == 200, listed.text
        batches = listed.json()["batches"]
        return batches[0] if batches and batches[0]["orders"] == 2 else None

    found = eventually(batch)
    assert (
        found
        and found["pickup_point"] == "团长家"
        and sorted(found["order_ids"]) == sorted(order_ids)
    )
    assert found["products"][0]["quantity"] == 2
    assert api(stack, "GET", f"/batches?date={today}", member).status_code == 403
    assert api(stack, "GET", "/batches?date=tomorrow", leader).status_code == 422

    def move(status):
        return api(
            stack,
            "POST",
            "/batches/fulfillment",
            leader,
            json={"date": today, "pickup_point": "团长家", "status": status},
        )

    assert move("delivering").status_code == 409
    for status in ("packed", "delivering", "ready_for_pickup"):
        moved = move(status)
        assert moved.status_code == 200, moved.text
        assert moved.json() == {
            "date": today,
            "pickup_point": "团长家",
            "status": status,
            "moved": 2,
        }

    def ready():
        shown = [api(stack, "GET", f"/orders/{order_id}", member).json() for order_id in order_ids]
        return shown if all(order["status"] == "ready_for_pickup" for order in shown) else None

    shown = eventually(ready)
    assert shown and {order["pickup"]["point"] for order in shown} == {"团长家"}
    assert len({order["pickup"]["code"] for order in shown}) == 2
