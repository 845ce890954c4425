"""After-sale (售后) in fulfilment: who may open a case and when, resolving it with each kind of
compensation exactly once (a refund through orders with an idempotency key), proactive
compensation, rejection, the cockpit's count; and batches of orders outside waves."""

from datetime import UTC, date, datetime, timedelta

import pytest
from conftest import (
    OTHER_TENANT,
    TENANT,
    FakeOrders,
    FulfillmentCatalog,
    FulfillmentOrders,
    envelope,
)
from sqlalchemy import select

from services.fulfillment import after_sales, batches, handlers
from services.fulfillment.models import (
    AfterSaleCase,
    Base,
    Compensation,
    FulfillmentCommunity,
    FulfillmentOrder,
)
from services.infra.db import utcnow
from services.infra.errors import Conflict, Forbidden, Invalid, NotFound, ServiceUnavailable
from services.infra.messaging import OutboxMessage


@pytest.fixture
def session(make_session):
    return make_session(Base, "fulfillment")


@pytest.fixture
def leader(caller):
    return caller("leader")


@pytest.fixture
def member(caller):
    return caller("member", member_id="member-1")


def order_data(order_id, member_id="member-1", channel=None, total=5000, **extra):
    return {
        "order_id": order_id,
        "member_id": member_id,
        "channel": channel or {"type": "shop", "id": None},
        "lines": [{"product_id": "berry", "name": "草莓", "quantity": 2, "unit_price_cents": 2500}],
        "total_cents": total,
        **extra,
    }


def apply(session, handler, event):
    with session.begin():
        handler(session, event)


def paid(session, order_id, member_id="member-1", tenant_id=TENANT, paid_at=None, **kwargs):
    data = order_data(order_id, member_id, **kwargs)
    apply(
        session,
        handlers.record_order_paid,
        envelope("order_paid", {**data, "paid_at": (paid_at or utcnow()).isoformat()}, tenant_id),
    )


def completed(session, order_id, member_id="member-1", picked_up_at=None, **kwargs):
    """A paid order handed over at the pickup point."""
    paid(session, order_id, member_id, **kwargs)
    with session.begin():
        order = session.get(FulfillmentOrder, order_id)
        order.status, order.picked_up_at = "picked_up", picked_up_at or utcnow()


def open_case(session, member, order_id="o1", payload=None, **kwargs):
    with session.begin():
        return after_sales.open_case(
            session,
            member,
            order_id,
            payload
            or {
                "kind": "damaged",
                "description": "草莓压坏了一半",
                "photo_url": "https://img.example/1.jpg",
            },
            **kwargs,
        )


def outbox(session, event_type):
    with session.begin():
        return [
            row.payload["data"]
            for row in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
            if row.event_type == event_type
        ]


# --- opening a case --------------------------------------------------------------------------


def test_a_member_opens_a_case_on_their_completed_order(session, member):
    completed(session, "o1")
    case = open_case(session, member)
    assert case["status"] == "open" and case["kind"] == "damaged" and case["order_id"] == "o1"
    assert case["photo_url"] == "https://img.example/1.jpg"
    (opened,) = outbox(session, "after_sale_opened")
    assert opened == {
        "case_id": case["id"],
        "order_id": "o1",
        "member_id": "member-1",
        "kind": "damaged",
        "at": opened["at"],
    }


def test_someone_elses_order_or_another_community_is_404(session, caller):
    completed(session, "o1", member_id="member-2")
    with pytest.raises(NotFound):
        open_case(session, caller("member", member_id="member-1"))
    with pytest.raises(NotFound):
        open_case(session, caller("member", member_id="member-2", tenant_id=OTHER_TENANT))
    with pytest.raises(Forbidden):
        open_case(session, caller("leader"))
    assert outbox(session, "after_sale_opened") == []


def test_not_completed_or_outside_the_window_is_409(session, member):
    paid(session, "o1")
    with pytest.raises(Conflict) as not_done:
        open_case(session, member)
    assert not_done.value.extra["reason"] == "not_completed"
    completed(session, "o2", picked_up_at=utcnow() - timedelta(days=8))
    with pytest.raises(Conflict) as late:
        open_case(session, member, "o2")
    assert late.value.extra["reason"] == "window_closed"
    # The window is configurable: 10 days lets the same order in.
    assert open_case(session, member, "o2", window_days=10)["status"] == "open"
    assert after_sales.after_sale_days("3") == 3 and after_sales.after_sale_days("") == 7


def test_one_open_case_per_order_at_a_time(session, member, leader):
    completed(session, "o1")
    first = open_case(session, member)
    with pytest.raises(Conflict) as again:
        open_case(session, member)
    assert again.value.extra == {"reason": "case_open", "case_id": first["id"]}
    with session.begin():
        after_sales.reject_case(session, leader, first["id"], {"reason": "照片看不出问题"})
    assert open_case(session, member)["status"] == "open"  # closed: a new one may be opened


@pytest.mark.parametrize(
    "payload",
    [
        {"kind": "broken", "description": "x"},
        {"kind": "damaged", "description": ""},
        {"kind": "damaged", "description": "x" * 1001},
        {"kind": "damaged", "description": "x", "photo_url": "javascript:alert(1)"},
        {"kind": "damaged", "description": "x", "photo_url": "ftp://a/b.jpg"},
        {"kind": "damaged", "description": "x", "extra": 1},
    ],
)
def test_bad_cases_are_422_and_nothing_is_opened(session, member, payload):
    completed(session, "o1")
    with pytest.raises(Invalid):
        open_case(session, member, payload=payload)
    with session.begin():
        assert session.scalars(select(AfterSaleCase)).all() == []


def test_staff_see_all_cases_members_their_own(session, caller, leader):
    completed(session, "o1", member_id="member-1")
    completed(session, "o2", member_id="member-2")
    mine = open_case(session, caller("member", member_id="member-1"), "o1")
    open_case(session, caller("member", member_id="member-2"), "o2")
    with session.begin():
        assert len(after_sales.list_cases(session, leader, {})["items"]) == 2
        assert after_sales.list_cases(session, leader, {"status": "resolved"})["items"] == []
        own = after_sales.list_cases(session, caller("member", member_id="member-1"), {})["items"]
        assert [case["id"] for case in own] == [mine["id"]]
        assert after_sales.get_case(session, leader, mine["id"])["id"] == mine["id"]
        with pytest.raises(NotFound):
            after_sales.get_case(session, caller("member", member_id="member-2"), mine["id"])
        with pytest.raises(NotFound):
            after_sales.get_case(session, caller("leader", tenant_id=OTHER_TENANT), mine["id"])


# --- resolving -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind,amount", [("refund", 1200), ("coupon", 500), ("points", 300)])
def test_a_case_is_resolved_with_each_kind_of_compensation_once(
    session, member, leader, kind, amount
):
    completed(session, "o1")
    case = open_case(session, member)
    orders = FakeOrders()
    resolved = after_sales.resolve_case(
        session, leader, orders, case["id"], {"compensation": {"type": kind, "amount": amount}}
    )
    assert resolved["status"] == "resolved" and resolved["compensation"]["status"] == "granted"
    (granted,) = outbox(session, "compensation_granted")
    assert (
        granted["type"] == kind
        and granted["amount"] == amount
        and granted["member_id"] == "member-1"
    )
    assert granted["case_id"] == case["id"] and granted["case_kind"] == "damaged"
    assert granted["compensation_id"] == resolved["compensation"]["id"]
    if kind == "refund":
        assert orders.calls == [
            (
                "o1",
                {"amount_cents": 1200, "reason": "售后: 破损: 草莓压坏了一半"},
                f"compensation:{granted['compensation_id']}",
            )
        ]
    else:
        assert orders.calls == []  # crm gives coupons and points on compensation_granted
    with pytest.raises(Conflict) as twice:
        after_sales.resolve_case(
            session, leader, orders, case["id"], {"compensation": {"type": kind, "amount": amount}}
        )
    assert twice.value.extra["reason"] == "case_closed"
    assert len(outbox(session, "compensation_granted")) == 1 and len(orders.refunds) == (
        kind == "refund"
    )


def test_a_resolve_retried_after_a_refund_timeout_refunds_once(session, member, leader):
    completed(session, "o1")
    case = open_case(session, member)
    orders = FakeOrders(fail="timeout")
    body = {"compensation": {"type": "refund", "amount": 2000}}
    with pytest.raises(ServiceUnavailable):
        after_sales.resolve_case(session, leader, orders, case["id"], body)
    with session.begin():
        (pending,) = session.scalars(select(Compensation)).all()
        assert (
            pending.status == "pending" and session.get(AfterSaleCase, case["id"]).status == "open"
        )
    assert outbox(session, "compensation_granted") == []
    with pytest.raises(Conflict) as other:  # while one is pending, another compensation is refused
        after_sales.resolve_case(
            session, leader, orders, case["id"], {"compensation": {"type": "coupon", "amount": 1}}
        )
    assert other.value.extra["reason"] == "compensation_pending"
    resolved = after_sales.resolve_case(session, leader, orders, case["id"], body)
    assert resolved["status"] == "resolved"
    keys = {call[2] for call in orders.calls}
    assert len(orders.calls) == 2 and keys == {
        f"compensation:{pending.id}"
    }  # the same key both times
    assert (
        list(orders.refunds.values()) == [2000]
        and len(outbox(session, "compensation_granted")) == 1
    )


def test_a_refund_orders_refuses_leaves_nothing_behind(session, member, leader):
    completed(session, "o1")
    case = open_case(session, member)
    with pytest.raises(Conflict):
        after_sales.resolve_case(
            session,
            leader,
            FakeOrders(fail="refuse"),
            case["id"],
            {"compensation": {"type": "refund", "amount": 100}},
        )
    with session.begin():
        assert session.scalars(select(Compensation)).all() == []
        assert session.get(AfterSaleCase, case["id"]).status == "open"
    assert (
        after_sales.resolve_case(
            session,
            leader,
            FakeOrders(),
            case["id"],
            {"compensation": {"type": "coupon", "amount": 100}},
        )["status"]
        == "resolved"
    )


@pytest.mark.parametrize(
    "compensation,error,reason",
    [
        ({"type": "refund", "amount": 5001}, Conflict, "exceeds_paid"),
        ({"type": "refund", "amount": 4001}, Conflict, "exceeds_paid"),  # 1000 already refunded
        ({"type": "coupon", "amount": 5001}, Invalid, None),
        ({"type": "points", "amount": 100_001}, Invalid, None),
        ({"type": "points", "amount": 0}, Invalid, None),
        ({"type": "cash", "amount": 1}, Invalid, None),
        ({"type": "refund", "amount": "100"}, Invalid, None),
    ],
)
def test_absurd_compensations_change_nothing(session, member, leader, compensation, error, reason):
    completed(session, "o1", total=5000)
    apply(
        session,
        handlers.record_order_refunded,
        envelope(
            "order_refunded",
            order_data("o1", amount_cents=1000, refunded_total_cents=1000, whole=False),
        ),
    )
    case = open_case(session, member)
    orders = FakeOrders()
    with pytest.raises(error) as refused:
        after_sales.resolve_case(
            session, leader, orders, case["id"], {"compensation": compensation}
        )
    if reason:
        assert refused.value.extra["reason"] == reason
    with session.begin():
        assert session.scalars(select(Compensation)).all() == []
        assert session.get(AfterSaleCase, case["id"]).status == "open"
    assert orders.calls == [] and outbox(session, "compensation_granted") == []


def test_only_the_leader_resolves_rejects_or_compensates(session, member, caller):
    completed(session, "o1")
    case = open_case(session, member)
    for who in (caller("staff"), member):
        with pytest.raises(Forbidden):
            after_sales.resolve_case(
                session,
                who,
                FakeOrders(),
                case["id"],
                {"compensation": {"type": "coupon", "amount": 1}},
            )
        with pytest.raises(Forbidden):
            after_sales.compensate(
                session, who, FakeOrders(), "o1", {"type": "coupon", "amount": 1, "reason": "x"}
            )
    with pytest.raises(NotFound):
        after_sales.resolve_case(
            session,
            caller("leader", tenant_id=OTHER_TENANT),
            FakeOrders(),
            case["id"],
            {"compensation": {"type": "coupon", "amount": 1}},
        )


def test_a_rejected_case_says_why_and_cannot_be_resolved(session, member, leader):
    completed(session, "o1")
    case = open_case(session, member)
    with session.begin():
        rejected = after_sales.reject_case(session, leader, case["id"], {"reason": "已超过保质期"})
    assert rejected["status"] == "rejected" and rejected["reject_reason"] == "已超过保质期"
    (event,) = outbox(session, "after_sale_rejected")
    assert event["case_id"] == case["id"] and event["kind"] == "damaged"
    with pytest.raises(Conflict):
        after_sales.resolve_case(
            session,
            leader,
            FakeOrders(),
            case["id"],
            {"compensation": {"type": "coupon", "amount": 1}},
        )
    with pytest.raises(Conflict), session.begin():
        after_sales.reject_case(session, leader, case["id"], {"reason": "again"})


def test_the_leader_compensates_proactively_without_a_case(session, leader):
    paid(session, "o1")  # not even picked up yet: bruised in transport
    orders = FakeOrders()
    given = after_sales.compensate(
        session,
        leader,
        orders,
        "o1",
        {"type": "refund", "amount": 500, "reason": "运输途中草莓磕碰"},
    )
    assert given["status"] == "granted" and given["case_id"] is None
    assert orders.calls[0][1] == {"amount_cents": 500, "reason": "售后: 运输途中草莓磕碰"}
    (granted,) = outbox(session, "compensation_granted")
    assert granted["case_id"] is None and granted["reason"] == "运输途中草莓磕碰"
    with pytest.raises(Conflict):  # more than was paid
        after_sales.compensate(
            session, leader, orders, "o1", {"type": "refund", "amount": 4501, "reason": "x"}
        )
    with pytest.raises(NotFound):
        after_sales.compensate(
            session, leader, orders, "nope", {"type": "points", "amount": 10, "reason": "x"}
        )
    apply(
        session, handlers.record_order_cancelled, envelope("order_cancelled", order_data("unpaid"))
    )
    with pytest.raises(Conflict):
        after_sales.compensate(
            session, leader, orders, "unpaid", {"type": "points", "amount": 10, "reason": "x"}
        )
    assert len(outbox(session, "compensation_granted")) == 1


def test_a_proactive_refund_retried_after_a_timeout_refunds_once(session, leader):
    paid(session, "o1")
    orders = FakeOrders(fail="timeout")
    body = {"type": "refund", "amount": 800, "reason": "少送了一盒"}
    with pytest.raises(ServiceUnavailable):
        after_sales.compensate(session, leader, orders, "o1", body)
    given = after_sales.compensate(session, leader, orders, "o1", body)
    assert given["status"] == "granted"
    assert len({call[2] for call in orders.calls}) == 1 and list(orders.refunds.values()) == [800]
    with session.begin():
        assert len(session.scalars(select(Compensation)).all()) == 1
    assert len(outbox(session, "compensation_granted")) == 1


def test_the_cockpit_counts_cases_and_orders_with_cases(session, caller, leader):
    for order_id in ("o1", "o2"):
        completed(session, order_id)
    first = open_case(session, caller("member"), "o1")
    with session.begin():
        after_sales.reject_case(session, leader, first["id"], {"reason": "no"})
    open_case(session, caller("member"), "o1")
    open_case(session, caller("member"), "o2")
    now = utcnow()
    with session.begin():
        stats = after_sales.after_sale_stats(
            session, TENANT, now - timedelta(hours=1), now + timedelta(hours=1)
        )
        assert stats == {"cases": 3, "orders_with_cases": 2}
        assert after_sales.after_sale_stats(
            session, OTHER_TENANT, now - timedelta(hours=1), now + timedelta(hours=1)
        ) == {"cases": 0, "orders_with_cases": 0}
        assert (
            after_sales.after_sale_stats_rpc(
                session,
                leader,
                (now - timedelta(days=1)).isoformat(),
                (now + timedelta(seconds=1)).isoformat(),
            )["cases"]
            == 3
        )
        with pytest.raises(Invalid):
            after_sales.after_sale_stats_rpc(session, leader, "yesterday", now.isoformat())


def test_refunds_and_totals_come_from_orders_events(session):
    paid(session, "o1", total=5000)
    for total in (1000, 3000, 2000):  # out of order: the running total only grows
        apply(
            session,
            handlers.record_order_refunded,
            envelope(
                "order_refunded",
                order_data("o1", amount_cents=1000, refunded_total_cents=total, whole=False),
            ),
        )
    with session.begin():
        order = session.get(FulfillmentOrder, "o1")
        assert (order.total_cents, order.refunded_cents, order.status) == (5000, 3000, "to_pack")
        assert order.paid_at is not None


# --- batches outside waves -------------------------------------------------------------------

DAY = date(2026, 11, 24)
NOON = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


def test_shop_orders_form_a_batch_per_pickup_point_and_day(session, leader):
    with session.begin():
        session.add(
            FulfillmentCommunity(tenant_id=TENANT, name="阳光小区", timezone="Asia/Shanghai")
        )
    paid(session, "s1", paid_at=NOON)
    paid(session, "s2", member_id="member-2", paid_at=NOON + timedelta(hours=1))
    paid(session, "s3", paid_at=NOON + timedelta(hours=2))
    paid(
        session, "late", paid_at=datetime(2026, 11, 24, 16, 30, tzinfo=UTC)
    )  # 00:30 next day locally
    paid(
        session, "w1", paid_at=NOON, channel={"type": "wave", "id": "wave-1"}
    )  # a wave's own batch
    handlers.in_transaction(
        session,
        handlers.move_order,
        leader,
        FulfillmentOrders(),
        FulfillmentCatalog(),
        "s3",
        {"status": "packed", "pickup_point": "北门驿站"},
    )
    with session.begin():
        listing = batches.list_batches(session, leader, {"date": DAY.isoformat()}, "")
    assert [(b["pickup_point"], b["orders"]) for b in listing["batches"]] == [
        ("北门驿站", 1),
        ("团长家", 2),
    ]
    home = listing["batches"][1]
    assert home["order_ids"] == ["s1", "s2"] and home["statuses"]["to_pack"] == 2
    assert home["products"] == [{"product_id": "berry", "name": "草莓", "quantity": 4, "orders": 2}]
    with session.begin():
        next_day = batches.list_batches(session, leader, {"date": "2026-11-25"}, "3栋门口")
    assert [(b["pickup_point"], b["order_ids"]) for b in next_day["batches"]] == [
        ("3栋门口", ["late"])
    ]


def test_a_batch_moves_one_step_at_a_time(session, leader, caller):
    paid(session, "s1", paid_at=NOON)
    paid(session, "s2", paid_at=NOON)

    def move(status, point="团长家"):
        return handlers.in_transaction(
            session,
            batches.move_batch,
            leader,
            FulfillmentOrders(),
            {"date": DAY.isoformat(), "pickup_point": point, "status": status},
            None,
        )

    with pytest.raises(Conflict) as skipped:
        move("delivering")
    assert skipped.value.extra["reason"] == "wrong_state"
    assert move("packed")["moved"] == 2
    assert move("packed")["moved"] == 0  # already there
    assert move("delivering")["moved"] == 2
    ready = move("ready_for_pickup")
    assert ready["moved"] == 2
    with session.begin():
        codes = {
            o.order_id: (o.status, o.pickup_point, o.open_pickup_code)
            for o in session.scalars(select(FulfillmentOrder))
        }
    assert {status for status, _, _ in codes.values()} == {"ready_for_pickup"}
    assert {point for _, point, _ in codes.values()} == {"团长家"} and len(
        {c for _, _, c in codes.values()}
    ) == 2
    events = outbox(session, "order_ready_for_pickup")
    assert (
        sorted(e["order_id"] for e in events) == ["s1", "s2"]
        and events[0]["pickup"]["point"] == "团长家"
    )
    assert len(outbox(session, "order_packed")) == 2
    with pytest.raises(NotFound):
        move("packed", "没有这个点")
    with pytest.raises(Forbidden):
        handlers.in_transaction(
            session,
            batches.move_batch,
            caller("member"),
            FulfillmentOrders(),
            {"date": DAY.isoformat(), "pickup_point": "团长家", "status": "packed"},
            None,
        )
    with pytest.raises(Invalid):
        handlers.in_transaction(
            session,
            batches.move_batch,
            leader,
            FulfillmentOrders(),
            {"date": "24/11/2026", "pickup_point": "团长家", "status": "packed"},
            None,
        )


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_the_calendars_first_and_last_days_have_no_batch(session, leader, day):
    """Found by fuzzing: the first day east of UTC (and the last day's end) are outside what a
    datetime can hold; they were a 500, they are days without orders."""
    with session.begin():
        session.add(
            FulfillmentCommunity(tenant_id=TENANT, name="阳光小区", timezone="Asia/Shanghai")
        )
    paid(session, "s1", paid_at=NOON)
    with session.begin():
        assert batches.list_batches(session, leader, {"date": day}, "")["batches"] == []
    with pytest.raises(NotFound):
        handlers.in_transaction(
            session,
            batches.move_batch,
            leader,
            FulfillmentOrders(),
            {"date": day, "pickup_point": "团长家", "status": "packed"},
            None,
        )
