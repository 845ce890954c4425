"""Live sessions (直播场次): lifecycle, live prices, quotas, comments, presence and the room's
events, over a real (SQLite) session."""

from datetime import UTC, datetime, timedelta

import pytest
from conftest import FakeGateway
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from services.catalog import handlers, live
from services.catalog.models import (
    Base,
    ChannelPurchase,
    LiveComment,
    LiveItem,
    LivePresence,
    LiveSession,
    Product,
    StockReservation,
)
from services.infra.errors import Conflict, Forbidden, Invalid, NotFound, RateLimited, value_of
from services.infra.messaging import InboxRecord, OutboxMessage

NOW = datetime.now(UTC)
SCHEDULED = (NOW + timedelta(hours=2)).isoformat()


@pytest.fixture
def session(make_session):
    return make_session(Base, "catalog")


@pytest.fixture
def leader(caller):
    return caller("leader")


def product(session, leader, **fields):
    payload = {"name": "鲜牛奶", "price_cents": 1500, "stock": 100, "unit": "瓶", **fields}
    with session.begin():
        return handlers.create_product(session, leader, payload)["id"]


def live_payload(*items, **fields):
    return {
        "title": "周五晚直播",
        "host_persona": "90后宝妈, 营养师",
        "scheduled_at": SCHEDULED,
        "items": list(items),
        **fields,
    }


def create(session, leader, *items, **fields):
    with session.begin():
        return live.create_live_session(session, leader, live_payload(*items, **fields))


def call(session, use_case, *args, **kwargs):
    with session.begin():
        return use_case(session, *args, **kwargs)


def reserve(session, member, key, session_id, *items):
    with session.begin():
        return handlers.reserve_stock(
            session,
            member,
            {
                "reservation_key": key,
                "channel": {"type": "live", "id": session_id},
                "items": [{"product_id": p, "quantity": q} for p, q in items],
            },
        )


def release(session, key, tenant_id="tenant-a"):
    from services.infra.context import Caller

    with session.begin():
        return handlers.release_stock(session, Caller(tenant_id=tenant_id), key)


def count(session, model, *where):
    with session.begin():
        return session.scalar(select(func.count()).select_from(model).where(*where))


def room_messages(session, since=0):
    """The ``live_room_changed`` messages in the outbox, in order (after the first ``since``)."""
    with session.begin():
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    return [
        row.payload["data"]["message"] for row in rows if row.event_type == "live_room_changed"
    ][since:]


def outbox_size(session):
    return len(room_messages(session))


def joined(session, name, member_id, tenant_id="tenant-a"):
    """crm's ``member_joined`` through catalog's inbox, as the service consumes it."""
    from services.infra.messaging import EventInbox

    envelope = {
        "event_id": f"evt-{member_id}",
        "event_type": "member_joined",
        "version": 1,
        "occurred_at": NOW.isoformat(),
        "tenant_id": tenant_id,
        "correlation_id": None,
        "data": {"member_id": member_id, "name": name, "community_slug": "x", "building": "3"},
    }

    class TestInbox(EventInbox):
        @property
        def Session(self):  # the inbox's own sessions, on the test's database
            return sessionmaker(session.get_bind(), expire_on_commit=False)

    return TestInbox().consume(envelope, live.record_member_joined)


@pytest.fixture
def milk_session(session, leader):
    """A scheduled session selling milk (quota 5, limit 2) and eggs (quota 3)."""
    milk = product(session, leader)
    eggs = product(session, leader, name="土鸡蛋", price_cents=2800, unit="盒")
    created = create(
        session,
        leader,
        {"product_id": milk, "live_price_cents": 990, "quota": 5, "per_member_limit": 2},
        {"product_id": eggs, "live_price_cents": 1990, "quota": 3},
        stream_url="https://pull.example.com/live/abc.flv",
        co_hosts=[{"name": "王医生", "role": "营养师"}],
    )
    return created, milk, eggs


# --- creating and reading ---------------------------------------------------------------------


def test_create_and_get(session, leader, caller, milk_session):
    created, milk, eggs = milk_session
    assert (
        created["status"] == "scheduled"
        and created["started_at"] is None
        and created["pinned"] is None
    )
    assert created["co_hosts"] == [{"name": "王医生", "role": "营养师"}]
    assert created["stream_url"] == "https://pull.example.com/live/abc.flv"
    assert created["items"] == [
        {
            "product_id": milk,
            "name": "鲜牛奶",
            "unit": "瓶",
            "live_price_cents": 990,
            "list_price_cents": 1500,
            "quota": 5,
            "sold": 0,
            "remaining": 5,
            "per_member_limit": 2,
        },
        {
            "product_id": eggs,
            "name": "土鸡蛋",
            "unit": "盒",
            "live_price_cents": 1990,
            "list_price_cents": 2800,
            "quota": 3,
            "sold": 0,
            "remaining": 3,
            "per_member_limit": None,
        },
    ]
    assert created["stats"] == {
        "viewers": 0,
        "peak_viewers": 0,
        "watching": 0,
        "buyers": 0,
        "orders": 0,
        "gmv_cents": 0,
        "conversion_rate": 0,
    }
    seen = call(session, live.get_live_session, caller("member"), created["id"])
    assert seen == created


@pytest.mark.parametrize(
    "change, field",
    [
        ({"items": [{"product_id": "nope", "live_price_cents": 100, "quota": 1}]}, "items"),
        ({"items": [{"product_id": "P", "live_price_cents": 0, "quota": 1}]}, "items"),
        ({"items": [{"product_id": "P", "live_price_cents": -5, "quota": 1}]}, "items"),
        ({"items": [{"product_id": "P", "live_price_cents": 100, "quota": 0}]}, "items"),
        (
            {"items": [{"product_id": "P", "live_price_cents": 100}]},
            "items",
        ),  # quota is required live
        ({"items": [{"product_id": "P", "live_price_cents": 100, "quota": 1}] * 2}, "items"),
        ({"items": []}, "items"),
        ({"title": "x" * 61}, "title"),
        ({"host_persona": ""}, "host_persona"),
        ({"stream_url": "ftp://example.com/x"}, "stream_url"),
        ({"stream_url": "https://example.com/" + "x" * 500}, "stream_url"),
        ({"co_hosts": [{"name": "x" * 41, "role": "guest"}]}, "co_hosts"),
        ({"co_hosts": [{"name": "a", "role": "b"}] * 11}, "co_hosts"),
        ({"scheduled_at": "2026-12-01T10:00:00"}, "scheduled_at"),
    ],
)
def test_invalid_input_creates_nothing(session, leader, change, field):
    apples = product(session, leader)
    payload = live_payload({"product_id": apples, "live_price_cents": 990, "quota": 5})
    payload.update(change)
    for item in payload["items"]:
        if item["product_id"] == "P":
            item["product_id"] = apples
    with pytest.raises(Invalid) as raised, session.begin():
        live.create_live_session(session, leader, payload)
    assert field in raised.value.extra["errors"]
    assert count(session, LiveSession) == 0 and count(session, LiveItem) == 0


def test_another_communitys_product_is_refused_and_its_session_is_not_found(
    session, leader, caller, milk_session
):
    created, milk, _ = milk_session
    other = caller("leader", tenant_id="tenant-b")
    with pytest.raises(Invalid) as raised, session.begin():
        live.create_live_session(
            session, other, live_payload({"product_id": milk, "live_price_cents": 9, "quota": 1})
        )
    assert raised.value.extra["errors"]["items"] == {
        "0": {"product_id": ["No such product in this community."]}
    }
    for use_case, args in [
        (live.get_live_session, ()),
        (live.start_live_session, ()),
        (live.list_live_comments, ({},)),
        (live.pin_live_item, ({"product_id": milk},)),
    ]:
        with pytest.raises(NotFound), session.begin():
            use_case(session, other, created["id"], *args)
    with pytest.raises(NotFound), session.begin():
        live.join_live_room(
            session, caller("member", tenant_id="tenant-b"), created["id"], "c1", "gw-1"
        )
    listed = call(session, live.list_live_sessions, other, {})
    assert listed["items"] == []


def test_list_filters_by_status_and_pages(session, leader, caller):
    apples = product(session, leader)
    ids = [
        create(
            session,
            leader,
            {"product_id": apples, "live_price_cents": 100, "quota": 1},
            title=f"场次 {i}",
        )["id"]
        for i in range(3)
    ]
    call(session, live.start_live_session, leader, ids[0])
    first = call(session, live.list_live_sessions, caller("member"), {"limit": 2})
    assert [s["id"] for s in first["items"]] == ids[::-1][:2] and first["next_cursor"]
    rest = call(
        session,
        live.list_live_sessions,
        caller("member"),
        {"limit": 2, "cursor": first["next_cursor"]},
    )
    assert [s["id"] for s in rest["items"]] == [ids[0]] and rest["next_cursor"] is None
    only_live = call(session, live.list_live_sessions, leader, {"status": "live"})
    assert [s["id"] for s in only_live["items"]] == [ids[0]]


# --- lifecycle --------------------------------------------------------------------------------


def test_lifecycle_and_illegal_transitions(session, leader, caller, milk_session):
    created, _, _ = milk_session
    sid = created["id"]
    with pytest.raises(Forbidden), session.begin():
        live.start_live_session(session, caller("member"), sid)
    with pytest.raises(Conflict) as raised, session.begin():
        live.end_live_session(session, leader, sid)
    assert raised.value.extra["reason"] == "live_not_started"

    started = call(session, live.start_live_session, leader, sid)
    assert started["status"] == "live" and started["started_at"] is not None
    with pytest.raises(Conflict) as raised, session.begin():
        live.start_live_session(session, leader, sid)
    assert raised.value.extra["reason"] == "live_already_started"

    ended = call(session, live.end_live_session, leader, sid)
    assert ended["status"] == "ended" and ended["ended_at"] is not None
    for use_case, reason in [
        (live.start_live_session, "live_ended"),
        (live.end_live_session, "live_ended"),
    ]:
        with pytest.raises(Conflict) as raised, session.begin():
            use_case(session, leader, sid)
        assert raised.value.extra["reason"] == reason
    statuses = room_messages(session)  # nobody in the room: no viewer counts to tell
    assert [(m["type"], m["status"]) for m in statuses] == [("status", "live"), ("status", "ended")]
    assert statuses[0]["started_at"] == started["started_at"] and statuses[0]["ended_at"] is None
    assert statuses[1]["ended_at"] == ended["ended_at"]


# --- selling ----------------------------------------------------------------------------------


def test_live_price_only_while_live(session, leader, caller, milk_session):
    created, milk, _ = milk_session
    member = caller("member")
    with pytest.raises(Conflict) as raised:
        reserve(session, member, "early", created["id"], (milk, 1))
    assert raised.value.extra["reason"] == "live_not_live"

    call(session, live.start_live_session, leader, created["id"])
    answer = reserve(session, member, "order-1", created["id"], (milk, 2))
    assert answer["lines"][0]["unit_price_cents"] == 990

    call(session, live.end_live_session, leader, created["id"])
    with pytest.raises(Conflict) as raised:
        reserve(session, caller("member", member_id="member-2"), "late", created["id"], (milk, 1))
    assert raised.value.extra["reason"] == "live_not_live"
    assert count(session, StockReservation) == 1
    with session.begin():
        assert session.get(Product, milk, populate_existing=True).stock == 98


def test_quota_and_limit_never_exceeded_and_release_gives_back(
    session, leader, caller, milk_session
):
    created, milk, eggs = milk_session
    sid = created["id"]
    call(session, live.start_live_session, leader, sid)
    anna, ben = caller("member", member_id="anna"), caller("member", member_id="ben")

    reserve(session, anna, "a1", sid, (milk, 2))
    with pytest.raises(Conflict) as raised:
        reserve(session, anna, "a2", sid, (milk, 1))
    assert raised.value.extra["reason"] == "limit_reached" and raised.value.extra["already"] == 2

    reserve(session, ben, "b1", sid, (milk, 2), (eggs, 3))
    with pytest.raises(Conflict) as raised:
        reserve(session, caller("member", member_id="cleo"), "c1", sid, (milk, 2))
    assert (
        raised.value.extra["reason"] == "quota_exhausted" and raised.value.extra["available"] == 1
    )
    with pytest.raises(Conflict) as raised:
        reserve(session, caller("member", member_id="cleo"), "c2", sid, (eggs, 1))
    assert raised.value.extra["reason"] == "quota_exhausted"
    with pytest.raises(Conflict) as raised:
        reserve(session, anna, "a3", sid, (product(session, leader, name="Not here"), 1))
    assert raised.value.extra["reason"] == "not_in_channel"

    seen = call(session, live.get_live_session, leader, sid)
    assert [(i["sold"], i["remaining"]) for i in seen["items"]] == [(4, 1), (3, 0)]

    assert release(session, "a1")["released"] is True
    assert release(session, "a1")["released"] is False  # idempotent
    seen = call(session, live.get_live_session, leader, sid)
    assert [(i["sold"], i["remaining"]) for i in seen["items"]] == [(2, 3), (3, 0)]
    with session.begin():
        assert (
            session.scalar(
                select(ChannelPurchase.quantity).where(
                    ChannelPurchase.member_id == "anna", ChannelPurchase.channel_type == "live"
                )
            )
            == 0
        )
    reserve(session, anna, "a4", sid, (milk, 2))  # her limit is hers again


def test_staff_cannot_take_a_limited_live_item(session, leader, milk_session):
    created, milk, _ = milk_session
    call(session, live.start_live_session, leader, created["id"])
    with pytest.raises(Forbidden):
        reserve(session, leader, "staff-1", created["id"], (milk, 1))


def test_purchase_and_stock_messages(session, leader, caller, milk_session):
    created, milk, eggs = milk_session
    sid = created["id"]
    joined(session, "李秀英", "anna")
    call(session, live.start_live_session, leader, sid)
    before = outbox_size(session)
    reserve(session, caller("member", member_id="anna"), "a1", sid, (milk, 2), (eggs, 1))
    purchase, stock = room_messages(session, before)
    assert purchase == {
        "type": "purchase",
        "buyer": "李**",
        "items": [
            {"product_id": milk, "name": "鲜牛奶", "quantity": 2},
            {"product_id": eggs, "name": "土鸡蛋", "quantity": 1},
        ],
    }
    assert stock == {
        "type": "stock",
        "items": [{"product_id": milk, "remaining": 3}, {"product_id": eggs, "remaining": 2}],
    }
    with session.begin():
        events = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.event_type == "live_room_changed")
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        ).all()
    assert (
        events[0].payload["tenant_id"] == "tenant-a"
        and events[0].payload["data"]["session_id"] == sid
    )

    # The same order retried reserves nothing twice and tells the room nothing new.
    reserve(session, caller("member", member_id="anna"), "a1", sid, (milk, 2), (eggs, 1))
    assert outbox_size(session) == before + 2

    release(session, "a1")
    assert room_messages(session, before + 2) == [
        {
            "type": "stock",
            "items": [{"product_id": milk, "remaining": 5}, {"product_id": eggs, "remaining": 3}],
        }
    ]

    # A wave or shop order says nothing to any room.
    with session.begin():
        handlers.reserve_stock(
            session,
            caller("member"),
            {"reservation_key": "shop-1", "items": [{"product_id": milk, "quantity": 1}]},
        )
    assert outbox_size(session) == before + 3


def test_batch_records_each_live_purchase_as_a_single_order_does(session, leader, milk_session):
    created, milk, eggs = milk_session
    sid = created["id"]
    joined(session, "李秀英", "anna")
    joined(session, "王建国", "ben")
    call(session, live.start_live_session, leader, sid)
    before = outbox_size(session)

    def order(key, member_id, *items):
        return {
            "caller": {"tenant_id": "tenant-a", "member_id": member_id, "correlation_id": key},
            "reservation": {
                "reservation_key": key,
                "channel": {"type": "live", "id": sid},
                "items": [{"product_id": p, "quantity": q} for p, q in items],
            },
        }

    answers = handlers.reserve_stocks(
        session,
        [
            order("a1", "anna", (milk, 2)),
            order("a2", "anna", (milk, 1)),
            order("b1", "ben", (eggs, 1)),
        ],
    )
    assert value_of(answers[0])["lines"][0]["unit_price_cents"] == 990  # the live price
    with pytest.raises(Conflict) as raised:  # her limit of 2, counted across the batch
        value_of(answers[1])
    assert raised.value.extra["reason"] == "limit_reached"
    assert value_of(answers[2])["lines"][0]["product_id"] == eggs
    assert room_messages(session, before) == [
        {
            "type": "purchase",
            "buyer": "李**",
            "items": [{"product_id": milk, "name": "鲜牛奶", "quantity": 2}],
        },
        {"type": "stock", "items": [{"product_id": milk, "remaining": 3}]},
        {
            "type": "purchase",
            "buyer": "王**",
            "items": [{"product_id": eggs, "name": "土鸡蛋", "quantity": 1}],
        },
        {"type": "stock", "items": [{"product_id": eggs, "remaining": 2}]},
    ]
    with session.begin():
        bought = session.execute(
            select(ChannelPurchase.member_id, ChannelPurchase.quantity).order_by(
                ChannelPurchase.member_id
            )
        ).all()
    assert [tuple(row) for row in bought] == [("anna", 2), ("ben", 1)]


# --- pin ----------------------------------------------------------------------------------------


def test_pin_validation_and_message(session, leader, caller, milk_session):
    created, milk, eggs = milk_session
    sid = created["id"]
    pinned = call(session, live.pin_live_item, leader, sid, {"product_id": milk})  # while scheduled
    assert pinned["pinned"] == {"product_id": milk, "name": "鲜牛奶", "live_price_cents": 990}
    call(session, live.start_live_session, leader, sid)
    pinned = call(session, live.pin_live_item, leader, sid, {"product_id": eggs})
    assert pinned["pinned"]["product_id"] == eggs
    assert [m for m in room_messages(session) if m["type"] == "pinned"] == [
        {"type": "pinned", "product_id": milk, "name": "鲜牛奶", "live_price_cents": 990},
        {"type": "pinned", "product_id": eggs, "name": "土鸡蛋", "live_price_cents": 1990},
    ]

    stranger = product(session, leader, name="Not in the session")
    with pytest.raises(Invalid) as raised, session.begin():
        live.pin_live_item(session, leader, sid, {"product_id": stranger})
    assert "product_id" in raised.value.extra["errors"]
    with pytest.raises(Invalid), session.begin():
        live.pin_live_item(session, leader, sid, {"product_id": "", "extra": 1})
    with pytest.raises(Forbidden), session.begin():
        live.pin_live_item(session, caller("member"), sid, {"product_id": milk})
    call(session, live.end_live_session, leader, sid)
    with pytest.raises(Conflict), session.begin():
        live.pin_live_item(session, leader, sid, {"product_id": milk})
    assert call(session, live.get_live_session, leader, sid)["pinned"]["product_id"] == eggs


# --- comments -----------------------------------------------------------------------------------


def test_comment_rules_length_and_live_only(session, leader, caller, milk_session):
    created, _, _ = milk_session
    sid = created["id"]
    member = caller("member", member_id="anna")
    with pytest.raises(Conflict) as raised, session.begin():
        live.post_live_comment(session, member, sid, {"text": "开始了吗"})
    assert raised.value.extra["reason"] == "live_not_live"
    call(session, live.start_live_session, leader, sid)
    for bad in ["", "   ", "x" * 201, "长" * 10_000, 5]:
        with pytest.raises(Invalid), session.begin():
            live.post_live_comment(session, member, sid, {"text": bad})
    with pytest.raises(Forbidden), session.begin():
        live.post_live_comment(session, leader, sid, {"text": "staff do not comment as members"})
    posted = call(session, live.post_live_comment, member, sid, {"text": "  " + "好" * 200 + "  "})
    assert posted["text"] == "好" * 200 and posted["author"] == "邻居" and posted["hidden"] is False
    assert count(session, LiveComment) == 1


def test_comment_rate_limit_counts_stored_comments(session, leader, caller, milk_session):
    created, _, _ = milk_session
    sid = created["id"]
    call(session, live.start_live_session, leader, sid)
    anna = caller("member", member_id="anna")
    start = datetime.now(UTC)
    call(session, live.post_live_comment, anna, sid, {"text": "第一条"}, now=start)
    with pytest.raises(RateLimited) as raised, session.begin():
        live.post_live_comment(
            session, anna, sid, {"text": "太快了"}, now=start + timedelta(seconds=1)
        )
    assert raised.value.extra["retry_after_seconds"] == 2
    # Someone else is not slowed by her.
    call(
        session,
        live.post_live_comment,
        caller("member", member_id="ben"),
        sid,
        {"text": "我也来"},
        now=start + timedelta(seconds=1),
    )
    for i in range(1, 10):  # one every 3 s: ten within the minute
        call(
            session,
            live.post_live_comment,
            anna,
            sid,
            {"text": f"第{i + 1}条"},
            now=start + timedelta(seconds=3 * i),
        )
    with pytest.raises(RateLimited) as raised, session.begin():
        live.post_live_comment(
            session, anna, sid, {"text": "第十一条"}, now=start + timedelta(seconds=40)
        )
    assert raised.value.extra["retry_after_seconds"] == 20  # when the first leaves the minute
    call(
        session,
        live.post_live_comment,
        anna,
        sid,
        {"text": "又可以了"},
        now=start + timedelta(seconds=61),
    )
    assert count(session, LiveComment, LiveComment.member_id == "anna") == 11


def test_hide_and_list_comments(session, leader, caller, milk_session):
    created, _, _ = milk_session
    sid = created["id"]
    joined(session, "Alice", "anna")
    call(session, live.start_live_session, leader, sid)
    anna = caller("member", member_id="anna")
    start = datetime.now(UTC)
    ids = [
        call(
            session,
            live.post_live_comment,
            anna,
            sid,
            {"text": f"c{i}"},
            now=start + timedelta(seconds=3 * i),
        )["id"]
        for i in range(3)
    ]
    comment_messages = [m for m in room_messages(session) if m["type"] == "comment"]
    assert comment_messages[0]["comment"]["author"] == "A**"
    assert set(comment_messages[0]["comment"]) == {"id", "author", "text", "at"}

    with pytest.raises(Forbidden), session.begin():
        live.hide_live_comment(session, anna, sid, ids[1])
    with pytest.raises(NotFound), session.begin():
        live.hide_live_comment(session, leader, sid, "no-such-comment")
    hidden = call(session, live.hide_live_comment, leader, sid, ids[1])
    assert hidden["hidden"] is True
    call(session, live.hide_live_comment, leader, sid, ids[1])  # again: one message only
    assert [m for m in room_messages(session) if m["type"] == "comment_hidden"] == [
        {"type": "comment_hidden", "comment_id": ids[1]}
    ]

    as_member = call(session, live.list_live_comments, anna, sid, {})
    assert [c["id"] for c in as_member["items"]] == [ids[2], ids[0]]
    as_staff = call(session, live.list_live_comments, leader, sid, {"limit": 2})
    assert [(c["id"], c["hidden"]) for c in as_staff["items"]] == [(ids[2], False), (ids[1], True)]
    rest = call(
        session,
        live.list_live_comments,
        leader,
        sid,
        {"limit": 2, "cursor": as_staff["next_cursor"]},
    )
    assert [c["id"] for c in rest["items"]] == [ids[0]] and rest["next_cursor"] is None

    # Late joiners get the visible ones, oldest first.
    snapshot = call(
        session, live.join_live_room, caller("member", member_id="ben"), sid, "conn-ben", "gw-1"
    )
    assert [c["id"] for c in snapshot["comments"]] == [ids[0], ids[2]]
    assert snapshot["session"]["id"] == sid


# --- names --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, masked",
    [
        ("李秀英", "李**"),
        ("Alice", "A**"),
        ("王", "王**"),
        ("", "邻居"),
        ("  ", "邻居"),
        ("x" * 80, "x**"),
    ],
)
def test_mask_name(name, masked):
    assert live.mask_name(name) == masked


def test_member_names_read_model_stores_only_the_masked_name(session):
    assert joined(session, "李秀英", "m1") == "processed"
    assert joined(session, "李秀英", "m1") == "duplicate"
    with session.begin():
        assert live.display_name(session, "tenant-a", "m1") == "李**"
        assert live.display_name(session, "tenant-b", "m1") == "邻居"  # not theirs
        assert live.display_name(session, "tenant-a", "unknown") == "邻居"
        assert session.scalar(select(func.count(InboxRecord.event_id))) == 1


# --- presence and stats -------------------------------------------------------------------------


def test_presence_viewers_peak_and_stats(session, leader, caller, milk_session):
    created, milk, _ = milk_session
    sid = created["id"]
    anna, ben = caller("member", member_id="anna"), caller("member", member_id="ben")

    # Before it is live: watching, but not yet a viewer.
    early = call(session, live.join_live_room, anna, sid, "a-1", "gw-1")
    assert early["session"]["stats"]["watching"] == 1 and early["session"]["stats"]["viewers"] == 0
    assert early["comments"] == []
    call(session, live.start_live_session, leader, sid)  # anna, already there, becomes a viewer
    seen = call(session, live.get_live_session, leader, sid)["stats"]
    assert (seen["viewers"], seen["peak_viewers"], seen["watching"]) == (1, 1, 1)

    call(session, live.join_live_room, anna, sid, "a-2", "gw-2")  # a second tab: still one person
    call(session, live.join_live_room, anna, sid, "a-2", "gw-2")  # idempotent per connection
    call(session, live.join_live_room, ben, sid, "b-1", "gw-1")
    call(session, live.join_live_room, leader, sid, "staff-1", "gw-1")  # staff are not viewers
    assert count(session, LivePresence) == 4
    seen = call(session, live.get_live_session, leader, sid)["stats"]
    assert (seen["viewers"], seen["peak_viewers"], seen["watching"]) == (2, 2, 2)

    assert call(session, live.leave_live_room, ben, "b-1")["left"] is True
    assert call(session, live.leave_live_room, ben, "b-1")["left"] is False
    assert room_messages(session)[-1] == {
        "type": "viewers",
        "watching": 1,
        "viewers": 2,
        "peak_viewers": 2,
    }

    reserve(session, anna, "order-1", sid, (milk, 2))
    call(session, live.end_live_session, leader, sid)
    # Joining an ended session shows its final state and counts no one.
    call(session, live.join_live_room, caller("member", member_id="cleo"), sid, "c-1", "gw-1")
    stats = call(session, live.get_live_session, caller("member"), sid)["stats"]
    assert stats == {
        "viewers": 2,
        "peak_viewers": 2,
        "watching": 2,
        "buyers": 1,
        "orders": 1,
        "gmv_cents": 1980,
        "conversion_rate": 0.5,
    }
    release(session, "order-1")  # a cancelled order is no longer a sale
    stats = call(session, live.get_live_session, caller("member"), sid)["stats"]
    assert (stats["buyers"], stats["orders"], stats["gmv_cents"], stats["conversion_rate"]) == (
        0,
        0,
        0,
        0.0,
    )


def test_join_needs_a_member_or_staff_and_one_room_per_connection(
    session, leader, caller, milk_session
):
    created, _, _ = milk_session
    from services.infra.context import Caller
    from services.infra.errors import Unauthorized

    with pytest.raises(Unauthorized), session.begin():
        live.join_live_room(session, Caller(), created["id"], "c1", "gw-1")
    with pytest.raises(Forbidden), session.begin():
        live.join_live_room(session, caller("member", member_id=""), created["id"], "c1", "gw-1")
    with pytest.raises(NotFound), session.begin():
        live.join_live_room(session, caller("member"), "no-such-session", "c1", "gw-1")
    with pytest.raises(Invalid), session.begin():
        live.join_live_room(session, caller("member"), created["id"], "x" * 65, "gw-1")
    other = create(
        session,
        leader,
        {"product_id": created["items"][0]["product_id"], "live_price_cents": 1, "quota": 1},
    )
    call(session, live.join_live_room, caller("member"), created["id"], "c1", "gw-1")
    with pytest.raises(Conflict), session.begin():
        live.join_live_room(session, caller("member"), other["id"], "c1", "gw-1")


def test_refresh_and_prune_stale_presence(session, leader, caller, milk_session):
    created, _, _ = milk_session
    sid = created["id"]
    call(session, live.start_live_session, leader, sid)
    long_ago = datetime.now(UTC) - timedelta(minutes=5)
    for member_id, connection, instance in [
        ("anna", "a-1", "gw-1"),
        ("ben", "b-1", "gw-2"),
        ("cleo", "c-1", "gw-2"),
    ]:
        call(
            session,
            live.join_live_room,
            caller("member", member_id=member_id),
            sid,
            connection,
            instance,
            now=long_ago,
        )
    refreshed = call(session, live.refresh_live_presence, "gw-2", ["b-1", "a-1", "gone"])
    # a-1 belongs to another process: that process refreshes it, not this one.
    assert refreshed == {"refreshed": 1, "missing": ["a-1", "gone"]}
    before = outbox_size(session)

    assert call(session, live.prune_stale_presence) == 2  # a-1 and c-1 were not refreshed
    with session.begin():
        left = session.scalars(select(LivePresence.connection_id)).all()
    assert left == ["b-1"]
    assert room_messages(session, before) == [
        {"type": "viewers", "watching": 1, "viewers": 3, "peak_viewers": 3}
    ]
    assert call(session, live.prune_stale_presence) == 0
    assert outbox_size(session) == before + 1
    with pytest.raises(Invalid), session.begin():
        live.refresh_live_presence(session, "gw-2", "not-a-list")


# --- gateway ------------------------------------------------------------------------------------


def test_gateway_sends_iso_datetimes_and_checks_the_body():
    from werkzeug.test import EnvironBuilder

    from gateway.routes.live_sessions import LiveSessionRoutes

    body = live_payload(
        {"product_id": "p1", "live_price_cents": 990, "quota": 100, "per_member_limit": 1},
        co_hosts=[{"name": "王医生", "role": "营养师"}],
    )
    gateway = FakeGateway(lambda service, method, *args: {"id": "s1"})
    assert LiveSessionRoutes.create_live_session(
        gateway, EnvironBuilder(method="POST", json=body).get_request()
    ) == (201, {"id": "s1"})
    ((service, method, payload),) = gateway.calls
    assert (service, method) == ("catalog", "create_live_session")
    assert payload["scheduled_at"] == datetime.fromisoformat(SCHEDULED).isoformat()
    for bad in [
        {**body, "items": [{"product_id": "p1", "live_price_cents": 990}]},  # no quota
        {**body, "stream_url": "rtmp://push.example.com/x"},
        {**body, "host_persona": "x" * 201},
    ]:
        with pytest.raises(Invalid):
            LiveSessionRoutes.create_live_session(
                gateway, EnvironBuilder(method="POST", json=bad).get_request()
            )
    too_long = EnvironBuilder(method="POST", json={"text": "长" * 10_000}).get_request()
    with pytest.raises(Invalid):
        LiveSessionRoutes.post_live_comment(gateway, too_long, "s1")
    assert len(gateway.calls) == 1


def test_openapi_documents_live_sessions():
    import gateway.service  # noqa: F401  (its routes register on import)
    from gateway.openapi import build_spec

    paths = build_spec()["paths"]
    assert "201" in paths["/api/v1/live-sessions"]["post"]["responses"]
    assert (
        "get" in paths["/api/v1/live-sessions"]
        and "get" in paths["/api/v1/live-sessions/{session_id}"]
    )
    for action in ("start", "end", "pin"):
        assert "200" in paths[f"/api/v1/live-sessions/{{session_id}}/{action}"]["post"]["responses"]
    comments = paths["/api/v1/live-sessions/{session_id}/comments"]
    assert "201" in comments["post"]["responses"] and "get" in comments
    assert (
        "200"
        in paths["/api/v1/live-sessions/{session_id}/comments/{comment_id}/hide"]["post"][
            "responses"
        ]
    )
