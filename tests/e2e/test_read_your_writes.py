"""Never refused because another service is a moment behind: each command right after the one
whose news it needs, back to back over HTTP, with no sleep and no retry in between.

* pay, then move the wave to packed (fulfilment hears ``order_paid`` later: it asks orders);
* close the wave, then move it (or one of its orders) to ready_for_pickup (fulfilment hears
  ``wave_closed`` later: it asks catalog);
* pay, then move one order, its day's batch, or compensate it (fulfilment asks orders);
* verify the pickup code, then post a showcase (晒单) of the order (referral hears
  ``order_completed`` two hops later: it asks orders, then fulfilment), or open an after-sale case;
* join, then open one's invite link (referral hears ``member_joined`` later: it asks crm).
"""

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from test_tenant_isolation import new_phone, ok
from test_walking_skeleton import api

pytestmark = pytest.mark.e2e


def new_community(stack):
    """A leader, a product and a member; the member's invite link asked for the moment they
    joined."""
    slug = f"ryw-{uuid.uuid4().hex[:6]}"
    leader = ok(
        api(
            stack,
            "POST",
            "/leaders/signup",
            json={
                "community_name": f"马上就办团{uuid.uuid4().hex[:4]}",
                "slug": slug,
                "phone": new_phone(),
                "password": "leader-secret-1",
                "display_name": "团长",
            },
        )
    )["token"]
    product = ok(
        api(
            stack,
            "POST",
            "/products",
            leader,
            json={"name": "阳山水蜜桃 6只", "price_cents": 8800, "stock": 100},
        )
    )
    member = ok(
        api(
            stack,
            "POST",
            f"/communities/{slug}/join",
            json={
                "phone": new_phone("15"),
                "password": "member-secret-1",
                "name": "张姐",
                "building": "3栋",
                "unit": "1201",
            },
        )
    )["token"]
    mine = ok(api(stack, "GET", "/me/referral", member))
    assert mine["invite_url"].endswith(f"/c/{slug}/join?invite={mine['invite_code']}")
    return {"leader": leader, "member": member, "product_id": product["id"]}


@pytest.fixture(scope="module")
def shop(stack):
    return new_community(stack)


def new_wave(stack, shop):
    now = datetime.now(UTC)
    return ok(
        api(
            stack,
            "POST",
            "/waves",
            shop["leader"],
            json={
                "title": "本周水蜜桃团",
                "cutoff_at": (now + timedelta(days=1)).isoformat(),
                "pickup_at": (now + timedelta(days=2)).isoformat(),
                "pickup_point": "3栋楼下快递柜旁",
                "items": [{"product_id": shop["product_id"], "price_cents": 6900}],
            },
        )
    )["id"]


def paid_order(stack, shop, wave_id=None):
    channel = {"type": "wave", "id": wave_id} if wave_id else {"type": "shop", "id": None}
    order = ok(
        api(
            stack,
            "POST",
            "/orders",
            shop["member"],
            json={"items": [{"product_id": shop["product_id"], "quantity": 1}], "channel": channel},
        )
    )
    ok(api(stack, "POST", f"/orders/{order['id']}/mark-paid", shop["leader"]))
    return order["id"]


def move_wave(stack, shop, wave_id, status):
    return ok(
        api(stack, "POST", f"/waves/{wave_id}/fulfillment", shop["leader"], json={"status": status})
    )


def move_order(stack, shop, order_id, status, **body):
    return ok(
        api(
            stack,
            "POST",
            f"/orders/{order_id}/fulfillment",
            shop["leader"],
            json={"status": status, **body},
        )
    )


def test_a_wave_paid_then_packed_and_closed_then_ready_at_once(stack, shop):
    wave_id = new_wave(stack, shop)
    paid_order(stack, shop, wave_id)
    assert move_wave(stack, shop, wave_id, "packed") == {
        "wave_id": wave_id,
        "status": "packed",
        "moved": 1,
    }
    assert move_wave(stack, shop, wave_id, "delivering")["moved"] == 1
    assert ok(api(stack, "POST", f"/waves/{wave_id}/close", shop["leader"]))["status"] == "closed"
    assert move_wave(stack, shop, wave_id, "ready_for_pickup") == {
        "wave_id": wave_id,
        "status": "ready_for_pickup",
        "moved": 1,
    }


def test_an_order_collected_a_moment_ago_is_shown_and_can_have_a_case(stack, shop):
    wave_id = new_wave(stack, shop)
    order_id = paid_order(stack, shop, wave_id)
    assert move_order(stack, shop, order_id, "packed")["moved"] is True
    move_order(stack, shop, order_id, "delivering")
    ok(api(stack, "POST", f"/waves/{wave_id}/close", shop["leader"]))
    ready = move_order(stack, shop, order_id, "ready_for_pickup")
    assert ready["pickup"]["point"] == "3栋楼下快递柜旁"
    ok(
        api(
            stack, "POST", "/pickups/verify", shop["leader"], json={"code": ready["pickup"]["code"]}
        )
    )
    shown = ok(
        api(
            stack,
            "POST",
            "/showcases",
            shop["member"],
            json={"order_id": order_id, "text": "桃子很甜"},
        ),
        201,
    )
    assert (shown["order_id"], shown["status"]) == (order_id, "pending")
    case = ok(
        api(
            stack,
            "POST",
            f"/orders/{order_id}/after-sales",
            shop["member"],
            json={"kind": "damaged", "description": "压坏了一只"},
        ),
        201,
    )
    assert case["status"] == "open"


def test_a_shop_order_paid_a_moment_ago_is_moved_and_compensated(stack, shop):
    order_id = paid_order(stack, shop)
    assert move_order(stack, shop, order_id, "packed", pickup_point="门卫室")["status"] == "packed"
    other = paid_order(stack, shop)
    given = ok(
        api(
            stack,
            "POST",
            f"/orders/{other}/compensate",
            shop["leader"],
            json={"type": "points", "amount": 10, "reason": "晚到了"},
        )
    )
    assert (given["order_id"], given["status"]) == (other, "granted")


def test_a_showcase_of_an_order_not_collected_is_still_refused(stack, shop):
    order_id = paid_order(stack, shop)
    refused = api(
        stack, "POST", "/showcases", shop["member"], json={"order_id": order_id, "text": "还没取"}
    )
    assert refused.status_code == 409 and refused.json()["reason"] == "order_not_completed", (
        refused.text
    )


def test_a_days_batch_paid_then_packed_at_once(stack):
    shop = new_community(stack)  # its own: no other order of the day in the batch
    order_id = paid_order(stack, shop)
    paid = ok(api(stack, "GET", f"/orders/{order_id}", shop["leader"]))  # orders' own: current
    paid_at = datetime.fromisoformat(
        next(step["at"] for step in paid["timeline"] if step["status"] == "paid")
    )
    day = (
        paid_at.astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()
    )  # the community's calendar day
    moved = ok(
        api(
            stack,
            "POST",
            "/batches/fulfillment",
            shop["leader"],
            json={"date": day, "pickup_point": "团长家", "status": "packed"},
        )
    )
    assert (moved["moved"], moved["status"]) == (1, "packed")
