"""Buying in a group-buy wave (团期): the wave's price, its quota and limit, and its cut-off."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from test_walking_skeleton import api

pytestmark = pytest.mark.e2e


def test_a_member_buys_in_a_wave_until_the_leader_closes_it(stack):
    slug = f"wave-{uuid.uuid4().hex[:6]}"
    leader = api(
        stack,
        "POST",
        "/leaders/signup",
        json={
            "community_name": "周末团",
            "slug": slug,
            "phone": "13800000021",
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
    wave = api(
        stack,
        "POST",
        "/waves",
        leader,
        json={
            "title": "本周水蜜桃团",
            "cutoff_at": (now + timedelta(days=1)).isoformat(),
            "pickup_at": (now + timedelta(days=2)).isoformat(),
            "pickup_point": "3栋楼下快递柜旁",
            "items": [
                {
                    "product_id": product["id"],
                    "price_cents": 6900,
                    "quota": 20,
                    "per_member_limit": 2,
                }
            ],
        },
    )
    assert wave.status_code == 201, wave.text
    wave_id = wave.json()["id"]
    member = api(
        stack,
        "POST",
        f"/communities/{slug}/join",
        json={
            "phone": "13900000022",
            "password": "member-secret-1",
            "name": "张姐",
            "building": "3栋",
            "unit": "1201",
        },
    ).json()["token"]

    channel = {"type": "wave", "id": wave_id}
    placed = api(
        stack,
        "POST",
        "/orders",
        member,
        json={"items": [{"product_id": product["id"], "quantity": 2}], "channel": channel},
    )
    assert placed.status_code == 201, placed.text
    assert placed.json()["lines"][0]["unit_price_cents"] == 6900
    assert placed.json()["total_cents"] == 13800 and placed.json()["channel"] == channel

    over = api(
        stack,
        "POST",
        "/orders",
        member,
        json={"items": [{"product_id": product["id"], "quantity": 1}], "channel": channel},
    )
    assert over.status_code == 409 and over.json()["reason"] == "limit_reached"
    item = api(stack, "GET", f"/waves/{wave_id}", member).json()["items"][0]
    assert item["remaining"] == 18

    assert api(stack, "POST", f"/waves/{wave_id}/close", member).status_code == 403
    assert api(stack, "POST", f"/waves/{wave_id}/close", leader).json()["status"] == "closed"
    other = api(
        stack,
        "POST",
        f"/communities/{slug}/join",
        json={
            "phone": "13900000023",
            "password": "member-secret-1",
            "name": "刘哥",
            "building": "5栋",
            "unit": "302",
        },
    ).json()["token"]
    late = api(
        stack,
        "POST",
        "/orders",
        other,
        json={"items": [{"product_id": product["id"], "quantity": 1}], "channel": channel},
    )
    assert late.status_code == 409 and late.json()["reason"] == "wave_closed"
