"""The cockpit (数据驾驶舱) over HTTP: a few orders, each figure checked to the fen."""

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from test_walking_skeleton import api, eventually

pytestmark = pytest.mark.e2e


def test_the_cockpit_adds_up_what_happened(stack):
    slug = f"cockpit-{uuid.uuid4().hex[:6]}"
    leader = api(
        stack,
        "POST",
        "/leaders/signup",
        json={
            "community_name": "驾驶舱测试团",
            "slug": slug,
            "phone": "13800000081",
            "password": "leader-secret-1",
            "display_name": "团长",
        },
    ).json()["token"]
    peach = api(
        stack,
        "POST",
        "/products",
        leader,
        json={"name": "阳山水蜜桃", "price_cents": 8800, "stock": 50},
    ).json()
    milk = api(
        stack,
        "POST",
        "/products",
        leader,
        json={"name": "鲜牛奶", "price_cents": 1290, "stock": 50},
    ).json()
    now = datetime.now(UTC)
    wave_id = api(
        stack,
        "POST",
        "/waves",
        leader,
        json={
            "title": "本周团",
            "cutoff_at": (now + timedelta(days=1)).isoformat(),
            "pickup_at": (now + timedelta(days=2)).isoformat(),
            "pickup_point": "3栋楼下",
            "items": [
                {"product_id": peach["id"], "price_cents": 6900},
                {"product_id": milk["id"], "price_cents": 1290},
            ],
        },
    ).json()["id"]
    members = [
        api(
            stack,
            "POST",
            f"/communities/{slug}/join",
            json={
                "phone": f"1390000008{n}",
                "password": "member-secret-1",
                "name": name,
                "building": "3栋",
                "unit": "1201",
            },
        ).json()["token"]
        for n, name in ((2, "张姐"), (3, "李叔"))
    ]

    def order(member, items, pay=True):
        placed = api(
            stack,
            "POST",
            "/orders",
            member,
            json={
                "items": [
                    {"product_id": product["id"], "quantity": quantity}
                    for product, quantity in items
                ],
                "channel": {"type": "wave", "id": wave_id},
            },
        )
        assert placed.status_code == 201, placed.text
        if pay:
            assert (
                api(stack, "POST", f"/orders/{placed.json()['id']}/mark-paid", leader).status_code
                == 200
            )
        return placed.json()

    zhang_1 = order(members[0], [(peach, 2)])  # 13800
    order(members[0], [(milk, 1)])  # 1290
    li = order(members[1], [(peach, 1), (milk, 3)])  # 6900 + 3870 = 10770
    order(members[1], [(milk, 5)], pay=False)  # never paid
    refunded = api(
        stack,
        "POST",
        f"/orders/{li['id']}/refund",
        leader,
        json={"amount_cents": 500, "reason": "压坏一个"},
    )
    assert refunded.status_code == 200, refunded.text
    gmv = 13800 + 1290 + 10770 - 500

    # Zhang's first order is picked up: one completed order, no after-sale case.
    assert api(stack, "POST", f"/waves/{wave_id}/close", leader).status_code == 200
    for status in ("packed", "delivering", "ready_for_pickup"):
        moved = eventually(
            lambda status=status: (lambda r: r if r.status_code == 200 else None)(
                api(stack, "POST", f"/waves/{wave_id}/fulfillment", leader, json={"status": status})
            )
        )
        assert moved, status
    code = eventually(
        lambda: (
            api(stack, "GET", f"/orders/{zhang_1['id']}", members[0]).json().get("pickup") or {}
        ).get("code")
    )
    assert api(stack, "POST", "/pickups/verify", leader, json={"code": code}).status_code == 200

    def cockpit(query=""):
        return api(stack, "GET", f"/dashboard{query}", leader)

    assert eventually(lambda: cockpit().json()["fulfillment"]["completed_orders"] == 1)
    figures = cockpit().json()
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    assert (figures["from"], figures["to"]) == (
        (today - timedelta(days=29)).isoformat(),
        today.isoformat(),
    )
    assert figures["gmv_cents"] == gmv
    assert (figures["orders"], figures["paying_members"], figures["aov_cents"]) == (
        3,
        2,
        round(gmv / 3),
    )
    assert figures["repurchase_rate"] == 0.5
    assert (figures["new_members"], figures["members_total"]) == (2, 2)
    assert figures["top_products"] == [
        {"product_id": peach["id"], "name": "阳山水蜜桃", "quantity": 3, "revenue_cents": 20700},
        {"product_id": milk["id"], "name": "鲜牛奶", "quantity": 4, "revenue_cents": 5160},
    ]
    assert figures["live"] == {"sessions": 0, "viewers": 0, "buyers": 0, "conversion_rate": 0}
    assert figures["reminders"] == {"sent": 0, "converted": 0}
    assert figures["referrals"] == {"invited": 0, "rewarded": 0}
    assert (
        figures["after_sales"] == {"cases": 0, "orders_with_cases": 0}
        and figures["after_sales_rate"] == 0
    )
    assert figures["fulfillment"]["avg_paid_to_completed_hours"] < 1
    assert len(figures["daily"]) == 30
    assert figures["daily"][-1] == {
        "date": today.isoformat(),
        "gmv_cents": gmv,
        "orders": 3,
        "new_members": 2,
    }
    assert sum(day["gmv_cents"] for day in figures["daily"]) == gmv

    # Zhang opens an after-sale case (售后) on the order she picked up: 1 case / 1 picked up.
    case = api(
        stack,
        "POST",
        f"/orders/{zhang_1['id']}/after-sales",
        members[0],
        json={"kind": "damaged", "description": "两个桃子压坏了"},
    )
    assert case.status_code == 201, case.text
    figures = cockpit().json()
    assert (
        figures["after_sales"] == {"cases": 1, "orders_with_cases": 1}
        and figures["after_sales_rate"] == 1.0
    )

    yesterday = (today - timedelta(days=1)).isoformat()
    assert cockpit(f"?from={yesterday}&to={yesterday}").json()["gmv_cents"] == 0
    for bad in (
        "?from=2026-02-30",
        f"?from={today}&to={yesterday}",
        "?from=2024-01-01&to=2025-12-31",
        "?days=3",
    ):
        answer = cockpit(bad)
        assert (
            answer.status_code == 422
            and answer.headers["Content-Type"] == "application/problem+json"
        ), bad
    assert api(stack, "GET", "/dashboard", members[0]).status_code == 403
    assert api(stack, "GET", "/dashboard").status_code == 401
