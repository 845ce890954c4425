"""Points, tiers and coupons over HTTP: the leader sets them up, a member orders with a coupon
and points, pays, picks up, earns; cancellation gives coupon and points back."""

import uuid

import pytest
from test_walking_skeleton import api, eventually

pytestmark = pytest.mark.e2e


@pytest.fixture
def community(stack):
    slug = f"jifen-{uuid.uuid4().hex[:6]}"
    leader = api(
        stack,
        "POST",
        "/leaders/signup",
        json={
            "community_name": "积分测试团",
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
        json={"name": "东北大米 5kg", "price_cents": 5000, "stock": 20},
    ).json()
    joined = api(
        stack,
        "POST",
        f"/communities/{slug}/join",
        json={
            "phone": "13900000032",
            "password": "member-secret-1",
            "name": "李姐",
            "building": "2栋",
            "unit": "502",
        },
    ).json()
    return leader, joined["token"], joined["member"]["id"], product["id"]


def order(stack, member, product_id, quantity=1, **extra):
    return api(
        stack,
        "POST",
        "/orders",
        member,
        json={"items": [{"product_id": product_id, "quantity": quantity}], **extra},
    )


def points(stack, member):
    return api(stack, "GET", "/me/points", member).json()


def coupons(stack, member, status="available"):
    return [
        c["id"] for c in api(stack, "GET", f"/me/coupons?status={status}", member).json()["items"]
    ]


def stock(stack, leader, product_id):
    return api(stack, "GET", f"/products/{product_id}", leader).json()["stock"]


def test_leader_sets_up_loyalty_and_a_member_orders_with_coupon_and_points(stack, community):
    leader, member, member_id, rice = community

    # Settings: defaults, a bad tier table refused whole, then the leader's own.
    settings = api(stack, "GET", "/community/settings", leader).json()
    assert settings["points_per_yuan"] == 1 and [t["name"] for t in settings["tiers"]] == [
        "普通",
        "银卡",
        "金卡",
    ]
    bad = api(
        stack,
        "PUT",
        "/community/settings",
        leader,
        json={
            "points_per_yuan": 10,
            "tiers": [
                {"name": "普通", "min_spend_cents": 0, "discount_percent": 0},
                {"name": "银卡", "min_spend_cents": 0, "discount_percent": 10},
            ],
        },
    )
    assert bad.status_code == 422 and "tiers" in bad.json()["errors"], bad.text
    assert api(stack, "GET", "/community/settings", leader).json() == settings
    assert (
        api(stack, "PUT", "/community/settings", member, json={"points_per_yuan": 5}).status_code
        == 403
    )
    assert api(stack, "PUT", "/community/settings", leader, json={"bogus": 1}).status_code == 422
    changed = api(
        stack,
        "PUT",
        "/community/settings",
        leader,
        json={
            "points_per_yuan": 10,
            "tiers": [
                {"name": "普通", "min_spend_cents": 0, "discount_percent": 0},
                {"name": "银卡", "min_spend_cents": 5000, "discount_percent": 10},
            ],
        },
    )
    assert changed.status_code == 200 and changed.json()["points_per_yuan"] == 10, changed.text

    # A coupon by hand; bad ones refused.
    for bad_coupon in (
        {"kind": "fixed", "amount_cents": -100, "valid_days": 7},
        {"kind": "percent", "percent": 95, "cap_cents": 100, "valid_days": 7},
        {"kind": "fixed", "amount_cents": 100, "valid_days": 0},
    ):
        assert (
            api(stack, "POST", f"/members/{member_id}/coupons", leader, json=bad_coupon).status_code
            == 422
        )
    issued = api(
        stack,
        "POST",
        f"/members/{member_id}/coupons",
        leader,
        json={"kind": "fixed", "amount_cents": 1000, "min_spend_cents": 8000, "valid_days": 7},
    )
    assert issued.status_code == 201, issued.text
    coupon_id = issued.json()["id"]
    assert coupons(stack, member) == [coupon_id]
    me = api(stack, "GET", "/me", member).json()["member"]
    assert me["points"] == 0 and me["tier"]["name"] == "普通"

    # Refused checkouts change nothing: no points yet, minimum spend not met.
    before = stock(stack, leader, rice)
    short = order(stack, member, rice, points_to_use=100)
    assert short.status_code == 409 and short.json()["reason"] == "points_insufficient", short.text
    small = order(stack, member, rice, coupon_id=coupon_id)
    assert small.status_code == 409 and small.json()["reason"] == "coupon_min_spend", small.text
    assert (
        api(
            stack,
            "POST",
            "/orders",
            member,
            json={"items": [{"product_id": rice, "quantity": 1}], "points_to_use": -5},
        ).status_code
        == 422
    )
    assert eventually(lambda: stock(stack, leader, rice) == before)
    assert coupons(stack, member) == [coupon_id]

    # With the coupon: 2 x 50 yuan - 10 = 90 yuan; the leader marks it paid.
    first = order(stack, member, rice, 2, coupon_id=coupon_id)
    assert first.status_code == 201, first.text
    first = first.json()
    assert (
        first["subtotal_cents"],
        first["coupon_discount_cents"],
        first["discount_cents"],
        first["total_cents"],
    ) == (10000, 1000, 1000, 9000)
    assert coupons(stack, member) == [] and coupons(stack, member, "locked") == [coupon_id]
    paid = api(stack, "POST", f"/orders/{first['id']}/mark-paid", leader)
    assert paid.status_code == 200 and paid.json()["payment"]["amount_cents"] == 9000, paid.text
    assert eventually(lambda: coupons(stack, member, "redeemed") == [coupon_id])

    # Picked up: 90 yuan x 10 points; 90 yuan of spend makes the member 银卡.
    def step(status, **body):
        return api(
            stack,
            "POST",
            f"/orders/{first['id']}/fulfillment",
            leader,
            json={"status": status, **body},
        )

    assert eventually(lambda: step("packed").status_code == 200)
    assert step("delivering").status_code == 200
    code = step("ready_for_pickup", pickup_point="门卫室").json()["pickup"]["code"]
    assert api(stack, "POST", "/pickups/verify", leader, json={"code": code}).status_code == 200
    assert eventually(lambda: points(stack, member)["balance"] == 900), points(stack, member)
    me = api(stack, "GET", "/me", member).json()["member"]
    assert me["points"] == 900 and me["tier"] == {
        "name": "银卡",
        "discount_percent": 10,
        "spend_cents": 9000,
    }

    # Orders prices a plain order (no coupon, no points) by itself from the terms crm gave with
    # the first checkout (普通, 0 %): the upgrade reaches it as checkout_terms_changed.
    def plain_order_discount():
        plain = order(stack, member, rice).json()
        assert api(stack, "POST", f"/orders/{plain['id']}/cancel", member).status_code == 200
        return plain["tier_discount_cents"]

    assert eventually(lambda: plain_order_discount() == 500)
    assert plain_order_discount() == 500

    # 银卡 takes 10 % off, then 800 points pay 8 yuan: 50 - 5 - 8 = 37 yuan. The points are held.
    second = order(stack, member, rice, points_to_use=800)
    assert second.status_code == 201, second.text
    second = second.json()
    assert (second["tier_discount_cents"], second["points_used"], second["total_cents"]) == (
        500,
        800,
        3700,
    )
    held = points(stack, member)
    assert held["balance"] == 100 and held["held"] == 800
    assert [(e["kind"], e["delta"]) for e in held["items"][:2]] == [("held", -800), ("earned", 900)]
    # The same points cannot pay another order; a redeemed coupon cannot be used again.
    assert order(stack, member, rice, points_to_use=800).json()["reason"] == "points_insufficient"
    assert (
        order(stack, member, rice, 2, coupon_id=coupon_id).json()["reason"] == "coupon_unavailable"
    )

    # Cancelled: the points come back.
    assert api(stack, "POST", f"/orders/{second['id']}/cancel", member).status_code == 200

    def given_back():
        now = points(stack, member)
        return now["balance"] == 900 and now["held"] == 0 and now["items"][0]["kind"] == "released"

    assert eventually(given_back), points(stack, member)

    # A refund of half the first order takes back half its points.
    refund = api(
        stack,
        "POST",
        f"/orders/{first['id']}/refund",
        leader,
        json={"amount_cents": 4500, "reason": "一袋受潮"},
    )
    assert refund.status_code == 200, refund.text
    assert eventually(lambda: points(stack, member)["balance"] == 450), points(stack, member)
    assert (
        api(
            stack,
            "POST",
            f"/orders/{first['id']}/refund",
            leader,
            json={"amount_cents": 4501, "reason": "too much"},
        ).status_code
        == 409
    )


def test_cancelling_an_unpaid_order_returns_coupon_and_points(stack, community):
    leader, member, member_id, rice = community
    coupon_id = api(
        stack,
        "POST",
        f"/members/{member_id}/coupons",
        leader,
        json={"kind": "percent", "percent": 20, "cap_cents": 1500, "valid_days": 3},
    ).json()["id"]
    adjusted = api(
        stack,
        "POST",
        f"/members/{member_id}/points",
        leader,
        json={"delta": 2000, "reason": "开团福利"},
    )
    assert adjusted.status_code == 200 and adjusted.json()["balance"] == 2000, adjusted.text
    assert (
        api(
            stack,
            "POST",
            f"/members/{member_id}/points",
            leader,
            json={"delta": -2001, "reason": "更正"},
        ).status_code
        == 409
    )
    placed = order(stack, member, rice, 3, coupon_id=coupon_id, points_to_use=1000)
    assert placed.status_code == 201, placed.text
    assert placed.json()["coupon_discount_cents"] == 1500  # 20 % of 150 yuan, capped at 15
    assert placed.json()["total_cents"] == 15000 - 1500 - 1000
    assert coupons(stack, member) == [] and points(stack, member)["held"] == 1000
    assert api(stack, "POST", f"/orders/{placed.json()['id']}/cancel", member).status_code == 200
    assert eventually(lambda: coupons(stack, member) == [coupon_id])
    assert eventually(lambda: points(stack, member)["balance"] == 2000)
    assert points(stack, member)["held"] == 0
    # Someone else's coupon is not found.
    other = api(
        stack,
        "POST",
        "/orders",
        api(
            stack,
            "POST",
            f"/communities/{_slug(stack, leader)}/join",
            json={
                "phone": "13900000033",
                "password": "member-secret-1",
                "name": "张叔",
                "building": "3栋",
                "unit": "101",
            },
        ).json()["token"],
        json={"items": [{"product_id": rice, "quantity": 1}], "coupon_id": coupon_id},
    )
    assert other.status_code == 404 and "coupon_id" in other.json()["errors"], other.text


def _slug(stack, leader):
    return api(stack, "GET", "/me", leader).json()["community"]["slug"]
