"""Selling in a live session (直播场次) over HTTP: live prices only while live, comments, stats."""

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from test_walking_skeleton import api, eventually

pytestmark = pytest.mark.e2e


def test_a_member_buys_at_the_live_price_only_while_the_session_is_live(stack):
    slug = f"live-{uuid.uuid4().hex[:6]}"
    leader = api(
        stack,
        "POST",
        "/leaders/signup",
        json={
            "community_name": "宝妈直播团",
            "slug": slug,
            "phone": "13800000041",
            "password": "leader-secret-1",
            "display_name": "团长",
        },
    ).json()["token"]
    milk = api(
        stack,
        "POST",
        "/products",
        leader,
        json={"name": "鲜牛奶", "price_cents": 1500, "stock": 50, "unit": "瓶"},
    ).json()
    member = api(
        stack,
        "POST",
        f"/communities/{slug}/join",
        json={
            "phone": "13900000042",
            "password": "member-secret-1",
            "name": "张秀英",
            "building": "3栋",
            "unit": "1201",
        },
    ).json()["token"]

    bad = api(
        stack,
        "POST",
        "/live-sessions",
        leader,
        json={
            "title": "周五晚直播",
            "host_persona": "90后宝妈, 营养师",
            "scheduled_at": datetime.now(UTC).isoformat(),
            "items": [{"product_id": milk["id"], "live_price_cents": 0, "quota": 0}],
        },
    )
    assert bad.status_code == 422 and bad.headers["Content-Type"].startswith(
        "application/problem+json"
    )
    assert api(stack, "GET", "/live-sessions", leader).json()["items"] == []

    created = api(
        stack,
        "POST",
        "/live-sessions",
        leader,
        json={
            "title": "周五晚直播",
            "host_persona": "90后宝妈, 营养师",
            "scheduled_at": (datetime.now(UTC) + timedelta(minutes=5)).isoformat(),
            "stream_url": "https://pull.example.com/live/friday.m3u8",
            "co_hosts": [{"name": "王医生", "role": "营养师"}],
            "items": [
                {
                    "product_id": milk["id"],
                    "live_price_cents": 990,
                    "quota": 10,
                    "per_member_limit": 3,
                }
            ],
        },
    )
    assert created.status_code == 201, created.text
    session = created.json()
    assert session["status"] == "scheduled" and session["items"][0]["list_price_cents"] == 1500
    assert api(stack, "POST", "/live-sessions", member, json={}).status_code == 403

    channel = {"type": "live", "id": session["id"]}
    order = {"items": [{"product_id": milk["id"], "quantity": 2}], "channel": channel}
    early = api(stack, "POST", "/orders", member, json=order)
    assert early.status_code == 409 and early.json()["reason"] == "live_not_live", early.text

    started = api(stack, "POST", f"/live-sessions/{session['id']}/start", leader)
    assert started.status_code == 200 and started.json()["status"] == "live"
    again = api(stack, "POST", f"/live-sessions/{session['id']}/start", leader)
    assert again.status_code == 409 and again.headers["Content-Type"].startswith(
        "application/problem+json"
    )
    pinned = api(
        stack,
        "POST",
        f"/live-sessions/{session['id']}/pin",
        leader,
        json={"product_id": milk["id"]},
    )
    assert pinned.status_code == 200 and pinned.json()["pinned"]["live_price_cents"] == 990
    assert (
        api(
            stack,
            "POST",
            f"/live-sessions/{session['id']}/pin",
            leader,
            json={"product_id": "not-in-session"},
        ).status_code
        == 422
    )

    placed = api(stack, "POST", "/orders", member, json=order)
    assert placed.status_code == 201, placed.text
    assert (
        placed.json()["lines"][0]["unit_price_cents"] == 990
        and placed.json()["total_cents"] == 1980
    )

    # Comments: the member's masked name (once crm's member_joined reached catalog), the leader
    # hides.
    assert eventually(lambda: api(stack, "GET", "/me/referral", member).status_code == 200)
    time.sleep(1)  # catalog's consumer of member_joined runs beside referral's
    comment = api(
        stack,
        "POST",
        f"/live-sessions/{session['id']}/comments",
        member,
        json={"text": " 已下单! "},
    )
    assert comment.status_code == 201, comment.text
    assert comment.json()["text"] == "已下单!" and comment.json()["author"] == "张**"
    fast = api(
        stack, "POST", f"/live-sessions/{session['id']}/comments", member, json={"text": "再来一条"}
    )
    assert fast.status_code == 429 and fast.json()["retry_after_seconds"] >= 1
    huge = api(
        stack,
        "POST",
        f"/live-sessions/{session['id']}/comments",
        member,
        json={"text": "长" * 10_000},
    )
    assert huge.status_code == 422
    comment_id = comment.json()["id"]
    assert (
        api(
            stack, "POST", f"/live-sessions/{session['id']}/comments/{comment_id}/hide", member
        ).status_code
        == 403
    )
    hidden = api(
        stack, "POST", f"/live-sessions/{session['id']}/comments/{comment_id}/hide", leader
    )
    assert hidden.status_code == 200 and hidden.json()["hidden"] is True
    assert (
        api(stack, "GET", f"/live-sessions/{session['id']}/comments", member).json()["items"] == []
    )
    staff_view = api(stack, "GET", f"/live-sessions/{session['id']}/comments", leader).json()[
        "items"
    ]
    assert [(c["id"], c["hidden"]) for c in staff_view] == [(comment_id, True)]

    ended = api(stack, "POST", f"/live-sessions/{session['id']}/end", leader)
    assert ended.status_code == 200 and ended.json()["status"] == "ended"
    late = api(
        stack,
        "POST",
        "/orders",
        member,
        json={**order, "items": [{"product_id": milk["id"], "quantity": 1}]},
    )
    assert late.status_code == 409 and late.json()["reason"] == "live_not_live"

    final = api(stack, "GET", f"/live-sessions/{session['id']}", member).json()
    assert final["items"][0]["sold"] == 2 and final["items"][0]["remaining"] == 8
    stats = final["stats"]
    assert (stats["orders"], stats["buyers"], stats["gmv_cents"]) == (1, 1, 1980)
    # Nobody watched through the websocket here: no viewers, so no conversion to divide by.
    assert stats["viewers"] == 0 and stats["conversion_rate"] == 0

    # Another community sees nothing of this session.
    other = api(
        stack,
        "POST",
        "/leaders/signup",
        json={
            "community_name": "隔壁团",
            "slug": f"other-{uuid.uuid4().hex[:6]}",
            "phone": "13800000043",
            "password": "leader-secret-1",
            "display_name": "隔壁团长",
        },
    ).json()["token"]
    assert api(stack, "GET", f"/live-sessions/{session['id']}", other).status_code == 404
