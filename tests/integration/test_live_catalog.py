"""Catalog's side of the live room over a real broker and database (SQLite and PostgreSQL):
member names from crm, presence RPCs and the pruning timer, concurrent comments."""

from datetime import UTC, datetime

import eventlet
import pytest

pytestmark = pytest.mark.integration


def test_presence_names_and_comments(stack):
    stack.declare_queues()
    stack.start("catalog", "orders", "crm", "gateway")
    leader = stack.signup_leader()
    product = stack.create_product(leader["token"], stock=20, name="鲜牛奶")
    member = stack.join_member(leader["slug"], name="李秀英")
    # crm's member_joined reached catalog through its inbox: only the masked name is kept.
    stack.wait_for(
        lambda: (
            stack.scalar(
                "catalog",
                "SELECT masked_name FROM catalog_members WHERE member_id = :m",
                m=member["member_id"],
            )
            == "李**"
        ),
        message="the member's masked name",
    )

    created = stack.http(
        "POST",
        "/api/v1/live-sessions",
        token=leader["token"],
        json={
            "title": "周三鲜奶专场",
            "host_persona": "团长李姐",
            "scheduled_at": datetime.now(UTC).isoformat(),
            "items": [{"product_id": product["id"], "live_price_cents": 990, "quota": 5}],
        },
    ).json()
    session_id = created["id"]
    assert (
        stack.http(
            "POST", f"/api/v1/live-sessions/{session_id}/start", token=leader["token"]
        ).status_code
        == 200
    )

    context = {"tenant_id": leader["tenant_id"], "member_id": member["member_id"], "role": "member"}
    snapshot = stack.rpc("catalog", "join_live_room", session_id, "conn-1", "gw-a", context=context)
    assert snapshot["session"]["stats"]["watching"] == 1 and snapshot["comments"] == []
    assert stack.rpc("catalog", "join_live_room", session_id, "conn-1", "gw-a", context=context)[
        "session"
    ]["id"]
    assert stack.rpc("catalog", "refresh_live_presence", "gw-a", ["conn-1", "conn-x"]) == {
        "refreshed": 1,
        "missing": ["conn-x"],
    }

    # Two comments of one member at once: one is taken, the other is told to wait.
    def comment(text):
        return stack.http(
            "POST",
            f"/api/v1/live-sessions/{session_id}/comments",
            token=member["token"],
            json={"text": text},
        )

    answers = sorted(
        response.status_code for response in eventlet.GreenPool(2).imap(comment, ["一", "二"])
    )
    assert answers == [201, 429], answers
    listed = stack.http(
        "GET", f"/api/v1/live-sessions/{session_id}/comments", token=leader["token"]
    ).json()
    assert [c["author"] for c in listed["items"]] == ["李**"]

    # The gateway process holding conn-1 dies: nobody refreshes it, the timer forgets it.
    with stack.engine("catalog").begin() as connection:
        from sqlalchemy import text

        connection.execute(
            text("UPDATE live_presence SET seen_at = :old"),
            {"old": datetime(2020, 1, 1, tzinfo=UTC)},
        )
    stack.wait_for(
        lambda: stack.scalar("catalog", "SELECT count(*) FROM live_presence") == 0,
        timeout=15,
        message="the stale presence to be pruned",
    )
    stats = stack.http("GET", f"/api/v1/live-sessions/{session_id}", token=leader["token"]).json()[
        "stats"
    ]
    assert (stats["watching"], stats["viewers"], stats["peak_viewers"]) == (0, 1, 1)
    assert stack.rpc("catalog", "leave_live_room", "conn-1", context=context)["left"] is False
