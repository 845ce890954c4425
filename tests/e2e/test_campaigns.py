"""Automation over HTTP: the leader makes a member_joined campaign with a coupon; a resident
joins and finds the message and the coupon; the campaign shows sent 1. A bad campaign is 422.
The member redeems points for a reward once per Idempotency-Key, and reads recommendations."""

import uuid

import pytest
from test_walking_skeleton import api, eventually

pytestmark = pytest.mark.e2e


def test_member_joined_campaign_gives_the_message_and_the_coupon(stack):
    slug = f"yingxiao-{uuid.uuid4().hex[:6]}"
    leader = api(
        stack,
        "POST",
        "/leaders/signup",
        json={
            "community_name": "幸福里团",
            "slug": slug,
            "phone": "13800000071",
            "password": "leader-secret-1",
            "display_name": "周姐",
        },
    ).json()["token"]
    # Whatever the time of day the test runs at: no quiet hours in this community.
    settings = api(
        stack,
        "PUT",
        "/community/settings",
        leader,
        json={"quiet_hours": {"start": "00:00", "end": "00:00"}, "reminder_hour": 9},
    )
    assert settings.status_code == 200 and settings.json()["reminder_hour"] == 9, settings.text

    bad = api(
        stack,
        "POST",
        "/campaigns",
        leader,
        json={"name": "空", "trigger": {"type": "member_joined"}, "actions": []},
    )
    assert bad.status_code == 422, bad.text
    negative = api(
        stack,
        "POST",
        "/campaigns",
        leader,
        json={
            "name": "负券",
            "trigger": {"type": "member_joined"},
            "actions": [
                {"type": "coupon", "amount_cents": -100, "min_spend_cents": 0, "valid_days": 7}
            ],
        },
    )
    assert negative.status_code == 422, negative.text
    listed = api(stack, "GET", "/campaigns", leader).json()["items"]
    assert [c["system"] for c in listed] == ["birthday"]  # nothing else was made

    made = api(
        stack,
        "POST",
        "/campaigns",
        leader,
        json={
            "name": "新人礼",
            "trigger": {"type": "member_joined"},
            "actions": [
                {"type": "message", "template": "{name},欢迎加入{community}!送您一张新人券。"},
                {"type": "coupon", "amount_cents": 500, "min_spend_cents": 2000, "valid_days": 14},
            ],
        },
    )
    assert made.status_code == 201, made.text
    campaign_id = made.json()["id"]

    joined = api(
        stack,
        "POST",
        f"/communities/{slug}/join",
        json={
            "phone": "13900000072",
            "password": "member-secret-1",
            "name": "李姐",
            "building": "3栋",
            "unit": "501",
        },
    )
    assert joined.status_code == 201, joined.text
    member = joined.json()["token"]

    def welcome_gift():
        inbox = api(stack, "GET", "/me/inbox", member).json()["items"]
        return [m for m in inbox if m["kind"] == "campaign"]

    [message] = eventually(welcome_gift, timeout=90)
    assert (
        message["title"] == "新人礼" and message["body"] == "李姐,欢迎加入幸福里团!送您一张新人券。"
    )
    [coupon] = api(stack, "GET", "/me/coupons", member).json()["items"]
    assert (
        coupon["amount_cents"] == 500
        and coupon["min_spend_cents"] == 2000
        and coupon["source"] == "campaign"
    )

    shown = api(stack, "GET", f"/campaigns/{campaign_id}", leader)
    assert shown.status_code == 200 and shown.json()["stats"] == {
        "sent": 1,
        "converted": 0,
        "revenue_cents": 0,
    }
    assert api(stack, "GET", f"/campaigns/{campaign_id}", member).status_code == 403

    # The member opts out of reminders; recommendations answer (nothing bought yet: popular only).
    opted = api(stack, "PATCH", "/me", member, json={"reminders_opt_out": True})
    assert opted.status_code == 200 and opted.json()["reminders_opt_out"] is True, opted.text
    assert api(stack, "GET", "/me/recommendations", member).json() == {"items": []}

    # Rewards: too few points is 409 and nothing changes; with points, once per Idempotency-Key.
    reward = api(
        stack,
        "POST",
        "/rewards",
        leader,
        json={
            "name": "3元券",
            "points_cost": 100,
            "kind": "coupon",
            "coupon": {"kind": "fixed", "amount_cents": 300, "valid_days": 30},
        },
    )
    assert reward.status_code == 201, reward.text
    reward_id = reward.json()["id"]
    short = api(
        stack, "POST", f"/rewards/{reward_id}/redeem", member, headers={"Idempotency-Key": "r-1"}
    )
    assert short.status_code == 409 and short.json()["reason"] == "points_insufficient", short.text
    member_id = joined.json()["member"]["id"]
    assert (
        api(
            stack,
            "POST",
            f"/members/{member_id}/points",
            leader,
            json={"delta": 120, "reason": "感谢"},
        ).status_code
        == 200
    )
    first = api(
        stack, "POST", f"/rewards/{reward_id}/redeem", member, headers={"Idempotency-Key": "r-1"}
    )
    again = api(
        stack, "POST", f"/rewards/{reward_id}/redeem", member, headers={"Idempotency-Key": "r-1"}
    )
    assert first.status_code == 200 and again.json()["id"] == first.json()["id"], first.text
    assert api(stack, "GET", "/me/points", member).json()["balance"] == 20
    assert len(api(stack, "GET", "/me/coupons", member).json()["items"]) == 2
