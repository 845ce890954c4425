"""Fulfilment (履约) as the leader and a member live it: pack, deliver, ready with a code,
pick up."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from test_walking_skeleton import api, eventually

pytestmark = pytest.mark.e2e


def test_a_wave_is_packed_delivered_and_picked_up_with_its_code(stack):
    slug = f"ful-{uuid.uuid4().hex[:6]}"
    leader = api(
        stack,
        "POST",
        "/leaders/signup",
        json={
            "community_name": "履约测试团",
            "slug": slug,
            "phone": "13800000031",
            "password": "leader-secret-1",
            "display_name": "团长",
        },
    ).json()["token"]
    product = api(
        stack,
        "POST",
        "/products",
        leader,
        json={"name": "阳山水蜜桃 6只", "price_cents": 8800, "stock": 50},
    ).json()
    now = datetime.now(UTC)
    wave_id = api(
        stack,
        "POST",
        "/waves",
        leader,
        json={
            "title": "本周水蜜桃团",
            "cutoff_at": (now + timedelta(days=1)).isoformat(),
            "pickup_at": (now + timedelta(days=2)).isoformat(),
            "pickup_point": "3栋楼下快递柜旁",
            "items": [{"product_id": product["id"], "price_cents": 6900}],
        },
    ).json()["id"]
    member = api(
        stack,
        "POST",
        f"/communities/{slug}/join",
        json={
            "phone": "13900000032",
            "password": "member-secret-1",
            "name": "张姐",
            "building": "3栋",
            "unit": "1201",
        },
    ).json()["token"]

    placed = api(
        stack,
        "POST",
        "/orders",
        member,
        json={
            "items": [{"product_id": product["id"], "quantity": 2}],
            "channel": {"type": "wave", "id": wave_id},
        },
    )
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["id"]
    assert api(stack, "POST", f"/orders/{order_id}/mark-paid", leader).status_code == 200
    assert api(stack, "POST", f"/waves/{wave_id}/close", leader).json()["status"] == "closed"

    def move(status):
        return api(stack, "POST", f"/waves/{wave_id}/fulfillment", leader, json={"status": status})

    assert (
        api(
            stack, "POST", f"/waves/{wave_id}/fulfillment", member, json={"status": "packed"}
        ).status_code
        == 403
    )
    assert move("shipped").status_code == 422
    # At once after the payment: fulfilment asks orders if order_paid has not reached it yet.
    packed = move("packed")
    assert packed.status_code == 200 and packed.json() == {
        "wave_id": wave_id,
        "status": "packed",
        "moved": 1,
    }, packed
    skipped = api(
        stack, "POST", f"/waves/{wave_id}/fulfillment", leader, json={"status": "ready_for_pickup"}
    )
    assert skipped.status_code == 409 and skipped.json()["reason"] == "wrong_state"
    assert move("delivering").json()["moved"] == 1
    # The wave was closed a moment ago: fulfilment asks catalog if wave_closed has not reached it.
    ready = move("ready_for_pickup")
    assert ready.status_code == 200 and ready.json()["moved"] == 1, ready.text

    by_member = api(stack, "GET", f"/waves/{wave_id}/picking-list?group_by=member", leader)
    assert by_member.status_code == 200, by_member.text
    assert by_member.json()["buildings"][0]["units"][0]["members"][0]["name"] == "张姐"
    sheet = api(stack, "GET", f"/waves/{wave_id}/picking-list?group_by=product&format=csv", leader)
    assert sheet.status_code == 200 and sheet.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert sheet.headers["Content-Disposition"].startswith("attachment;")
    assert sheet.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    assert f"{product['id']},阳山水蜜桃 6只,2,1" in sheet.content.decode("utf-8-sig")
    assert (
        api(stack, "GET", f"/waves/{wave_id}/picking-list?group_by=price", leader).status_code
        == 422
    )
    assert api(stack, "GET", f"/waves/{wave_id}/picking-list", member).status_code == 403

    def order():
        return api(stack, "GET", f"/orders/{order_id}", member).json()

    assert eventually(lambda: order()["status"] == "ready_for_pickup")
    shown = order()
    code = shown["pickup"]["code"]
    assert len(code) == 6 and code.isdigit() and shown["pickup"]["point"] == "3栋楼下快递柜旁"
    assert [step["status"] for step in shown["timeline"]] == [
        "pending_payment",
        "paid",
        "packed",
        "delivering",
        "ready_for_pickup",
    ]

    # Nobody has to ask "is my order here?": the notice is in the member's inbox, in Chinese.
    def notices():
        items = api(stack, "GET", "/me/inbox", member).json()["items"]
        return [item for item in items if item["kind"] == "pickup_ready"]

    assert eventually(notices)
    notice = notices()[0]
    assert (
        notice["title"] == "您的订单到货啦"
        and code in notice["body"]
        and "3栋楼下快递柜旁" in notice["body"]
    )
    english = api(stack, "GET", "/me/inbox", member, headers={"Accept-Language": "en"}).json()[
        "items"
    ][0]
    assert english["title"] == "Your order has arrived"

    wrong = f"{(int(code) + 1) % 10**6:06d}"
    missing = api(stack, "POST", "/pickups/verify", leader, json={"code": wrong})
    assert (
        missing.status_code == 404 and missing.headers["Content-Type"] == "application/problem+json"
    )
    assert api(stack, "POST", "/pickups/verify", member, json={"code": code}).status_code == 403
    verified = api(stack, "POST", "/pickups/verify", leader, json={"code": code})
    assert verified.status_code == 200, verified.text
    assert verified.json()["order_id"] == order_id
    assert verified.json()["member"] == {"name": "张姐", "building": "3栋", "unit": "1201"}
    assert verified.json()["items"][0]["quantity"] == 2
    assert api(stack, "POST", "/pickups/verify", leader, json={"code": code}).status_code == 409
    assert eventually(lambda: order()["status"] == "completed")
    assert order()["timeline"][-1]["status"] == "completed"


def test_purchase_list_packing_slips_and_a_single_order_moved_to_its_own_pickup_point(stack):
    slug = f"doc-{uuid.uuid4().hex[:6]}"
    leader = api(
        stack,
        "POST",
        "/leaders/signup",
        json={
            "community_name": "分拣单测试团",
            "slug": slug,
            "phone": "13800000041",
            "password": "leader-secret-1",
            "display_name": "团长",
        },
    ).json()["token"]
    peach = api(
        stack,
        "POST",
        "/products",
        leader,
        json={"name": "阳山水蜜桃", "price_cents": 8800, "stock": 50, "unit": "盒"},
    ).json()
    now = datetime.now(UTC)
    wave_id = api(
        stack,
        "POST",
        "/waves",
        leader,
        json={
            "title": "本周水蜜桃团",
            "cutoff_at": (now + timedelta(days=1)).isoformat(),
            "pickup_at": (now + timedelta(days=2)).isoformat(),
            "pickup_point": "3栋楼下快递柜旁",
            "packing_note": "谢谢支持!冷藏两小时更甜 <3",
            "items": [{"product_id": peach["id"], "price_cents": 6900}],
        },
    ).json()["id"]
    member = api(
        stack,
        "POST",
        f"/communities/{slug}/join",
        json={
            "phone": "13900000042",
            "password": "member-secret-1",
            "name": "<b>王阿姨</b>",
            "building": "5栋",
            "unit": "302",
        },
    ).json()["token"]

    def paid(body):
        placed = api(stack, "POST", "/orders", member, json=body)
        assert placed.status_code == 201, placed.text
        assert (
            api(stack, "POST", f"/orders/{placed.json()['id']}/mark-paid", leader).status_code
            == 200
        )
        return placed.json()["id"]

    in_wave = [
        paid(
            {
                "items": [{"product_id": peach["id"], "quantity": q}],
                "channel": {"type": "wave", "id": wave_id},
            }
        )
        for q in (2, 3)
    ]
    shop = paid({"items": [{"product_id": peach["id"], "quantity": 1}]})
    assert api(stack, "POST", f"/waves/{wave_id}/close", leader).status_code == 200

    # The supplier's list: 5 boxes from 2 orders, by the pickup time.
    def purchase():
        listing = api(stack, "GET", f"/waves/{wave_id}/purchase-list", leader).json()
        return listing if listing.get("orders") == 2 and listing.get("needed_by") else None

    listing = eventually(purchase)
    assert listing and listing["products"] == [
        {
            "product_id": peach["id"],
            "name": "阳山水蜜桃",
            "unit": "盒",
            "quantity": 5,
            "orders": 2,
            "on_hand": 0,
            "to_buy": 5,
        }
    ], listing
    # Two boxes already in the storeroom: the supplier is asked for three.
    counted = api(stack, "PUT", f"/stock-on-hand/{peach['id']}", leader, json={"quantity": 2})
    assert counted.status_code == 200 and counted.json()["quantity"] == 2, counted.text
    assert (
        api(stack, "PUT", "/stock-on-hand/not-ours", leader, json={"quantity": 2}).status_code
        == 404
    )
    assert (
        api(stack, "GET", "/stock-on-hand", leader).json()["items"][0]["product_id"] == peach["id"]
    )
    sheet = api(stack, "GET", f"/waves/{wave_id}/purchase-list?format=csv", leader)
    assert sheet.status_code == 200 and sheet.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert sheet.content.startswith(b"\xef\xbb\xbf")
    rows = sheet.content.decode("utf-8-sig").splitlines()
    assert rows[0] == "商品编号,商品,单位,数量,现有库存,需采购,订单数,需到货时间"
    assert rows[1].startswith(f"{peach['id']},阳山水蜜桃,盒,5,2,3,2,")
    assert api(stack, "GET", f"/waves/{wave_id}/purchase-list", member).status_code == 403

    # Moved one by one (the wave move's rules), the wave's orders get their codes.
    def step(order_id, status, **body):
        return api(
            stack,
            "POST",
            f"/orders/{order_id}/fulfillment",
            leader,
            json={"status": status, **body},
        )

    for order_id in in_wave:
        for status in ("packed", "delivering", "ready_for_pickup"):
            moved = step(order_id, status)
            assert moved.status_code == 200 and moved.json()["moved"] is True, moved.text
    code = moved.json()["pickup"]["code"]

    slips = api(stack, "GET", f"/waves/{wave_id}/packing-slips", leader)
    assert slips.status_code == 200 and slips.headers["Content-Type"] == "text/html; charset=utf-8"
    html = slips.text
    assert html.count('<section class="slip">') == 2 and html.count("<svg") == 2 and code in html
    assert (
        "&lt;b&gt;王阿姨&lt;/b&gt;" in html and "<b>" not in html
    )  # the member's name cannot inject
    assert "5栋 302" in html and "分拣单测试团" in html and "谢谢支持!冷藏两小时更甜 &lt;3" in html
    assert "size: A4" in html and "page-break-inside: avoid" in html
    receipt = api(stack, "GET", f"/waves/{wave_id}/packing-slips?paper=80mm", leader).text
    assert "width: 80mm" in receipt and "size: A4" not in receipt
    assert api(stack, "GET", f"/waves/{wave_id}/packing-slips?paper=a3", leader).status_code == 422
    assert api(stack, "GET", f"/waves/{wave_id}/packing-slips", member).status_code == 403

    # A shop order has no wave to say where it is collected: the leader names the point.
    assert eventually(lambda: step(shop, "packed").status_code == 200)
    assert step(shop, "ready_for_pickup").status_code == 409  # not delivering yet
    assert step(shop, "delivering").status_code == 200
    missing = step(shop, "ready_for_pickup")
    assert missing.status_code == 422 and "pickup_point" in missing.json()["errors"], missing.text
    ready = step(shop, "ready_for_pickup", pickup_point="小区门卫室")
    assert ready.status_code == 200 and ready.json()["pickup"]["point"] == "小区门卫室", ready.text

    def shown():
        return api(stack, "GET", f"/orders/{shop}", member).json()

    assert eventually(lambda: shown()["status"] == "ready_for_pickup")
    assert (
        shown()["pickup"]["point"] == "小区门卫室"
        and shown()["pickup"]["code"] == ready.json()["pickup"]["code"]
    )
