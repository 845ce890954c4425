"""Fulfilment of single orders: moving one order a step, and the pickup reminder (取货提醒)."""

from datetime import UTC, datetime, timedelta

import pytest
from conftest import OTHER_TENANT, TENANT, FulfillmentCatalog, FulfillmentOrders
from sqlalchemy import select, update
from test_fulfillment import (
    PICKUP_AT,
    apply,
    close_wave,
    envelope,
    move,
    outbox,
    paid_order,
    statuses,
    verify,
)

from services.fulfillment import handlers
from services.fulfillment.models import Base, FulfillmentOrder
from services.infra.errors import Conflict, Forbidden, Invalid, NotFound


@pytest.fixture
def session(make_session):
    return make_session(Base, "fulfillment")


@pytest.fixture
def leader(caller):
    return caller("leader")


def step(session, caller, order_id, status, **body):
    return handlers.in_transaction(
        session,
        handlers.move_order,
        caller,
        FulfillmentOrders(),
        FulfillmentCatalog(),
        order_id,
        {"status": status, **body},
    )


def shop_order(session, order_id, member_id="member-1"):
    data = {
        "order_id": order_id,
        "member_id": member_id,
        "channel": {"type": "shop", "id": None},
        "lines": [{"product_id": "milk", "name": "鲜牛奶", "quantity": 1}],
    }
    apply(session, handlers.record_order_paid, envelope("order_paid", data))


def order(session, order_id):
    with session.begin():
        return session.get(FulfillmentOrder, order_id)


# --- one order, one step ---------------------------------------------------------------------


def test_a_single_wave_order_moves_by_the_wave_rules_and_takes_the_waves_pickup(session, leader):
    paid_order(session, "o1")
    paid_order(session, "o2", member_id="member-2")
    close_wave(session)
    with pytest.raises(Conflict) as skipped:
        step(session, leader, "o1", "delivering")
    assert skipped.value.extra == {"reason": "wrong_state", "from": "to_pack", "to": "delivering"}
    assert step(session, leader, "o1", "packed") == {
        "order_id": "o1",
        "status": "packed",
        "moved": True,
        "pickup": None,
    }
    assert (
        step(session, leader, "o1", "packed")["moved"] is False
    )  # asked twice: nothing more happens
    assert step(session, leader, "o1", "delivering")["moved"] is True
    ready = step(session, leader, "o1", "ready_for_pickup")
    assert (
        ready["pickup"]["point"] == "3栋楼下快递柜旁"
        and ready["pickup"]["at"] == PICKUP_AT.isoformat()
    )
    with pytest.raises(Conflict):
        step(session, leader, "o1", "packed")  # no way back
    assert statuses(session) == {"o1": "ready_for_pickup", "o2": "to_pack"}  # the neighbour's stays
    assert [
        len(outbox(session, t))
        for t in ("order_packed", "order_dispatched", "order_ready_for_pickup")
    ] == [1, 1, 1]
    event = outbox(session, "order_ready_for_pickup")[0]["data"]
    assert event["pickup"]["code"] == ready["pickup"]["code"] and event["member_id"] == "member-1"
    # The rest of the wave follows later; the moved order is left where it is.
    assert move(session, leader, "packed")["moved"] == 1
    assert verify(session, leader, ready["pickup"]["code"])["order_id"] == "o1"


def test_a_shop_order_needs_a_pickup_point_to_be_ready(session, leader):
    shop_order(session, "s1")
    step(session, leader, "s1", "packed")
    step(session, leader, "s1", "delivering")
    with pytest.raises(Invalid) as missing:
        step(session, leader, "s1", "ready_for_pickup")
    assert "pickup_point" in missing.value.extra["errors"]
    with pytest.raises(Invalid):
        step(session, leader, "s1", "ready_for_pickup", pickup_point="   ")
    with pytest.raises(Invalid):
        step(session, leader, "s1", "ready_for_pickup", pickup_point="门卫室", pickup_at="tomorrow")
    assert (
        statuses(session) == {"s1": "delivering"}
        and outbox(session, "order_ready_for_pickup") == []
    )
    at = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)  # a pickup still ahead
    ready = step(
        session, leader, "s1", "ready_for_pickup", pickup_point="门卫室", pickup_at=at.isoformat()
    )
    assert ready["pickup"]["point"] == "门卫室" and ready["pickup"]["at"] == at.isoformat()
    stored = order(session, "s1")
    assert (stored.pickup_point, stored.pickup_at, stored.collectable_at) == ("门卫室", at, at)


def test_a_wave_order_needs_its_closed_wave_unless_the_leader_names_a_point(session, leader):
    paid_order(session, "o1")
    step(session, leader, "o1", "packed")
    step(session, leader, "o1", "delivering")
    with pytest.raises(Conflict) as refused:
        step(session, leader, "o1", "ready_for_pickup")
    assert refused.value.extra["reason"] == "wave_not_closed"
    ready = step(session, leader, "o1", "ready_for_pickup", pickup_point="送到家门口")
    assert ready["pickup"]["point"] == "送到家门口"
    stored = order(session, "o1")
    assert stored.ready_at == stored.pickup_at == stored.collectable_at  # collectable now


def test_only_the_communitys_staff_move_its_paid_orders(session, leader, caller):
    paid_order(session, "o1")
    paid_order(session, "gone")
    apply(
        session,
        handlers.record_order_cancelled,
        envelope(
            "order_cancelled",
            {
                "order_id": "gone",
                "member_id": "member-1",
                "channel": {"type": "wave", "id": "wave-1"},
                "lines": [],
            },
        ),
    )
    with pytest.raises(Forbidden):
        step(session, caller("member", member_id="member-1"), "o1", "packed")
    with pytest.raises(NotFound):
        step(session, caller("leader", tenant_id=OTHER_TENANT), "o1", "packed")
    with pytest.raises(NotFound):
        step(session, leader, "nope", "packed")
    with pytest.raises(Invalid):
        step(session, leader, "o1", "picked_up")
    with pytest.raises(Invalid):
        step(session, leader, "o1", "packed", extra=1)
    with pytest.raises(Conflict) as cancelled:
        step(session, leader, "gone", "packed")
    assert cancelled.value.extra["from"] == "cancelled"
    assert (
        statuses(session) == {"o1": "to_pack", "gone": "cancelled"}
        and outbox(session, "order_packed") == []
    )


# --- pickup reminder -------------------------------------------------------------------------


@pytest.fixture
def ready(session, leader):
    """o1 and o2 ready for pickup now (the wave's pickup time is already past)."""
    paid_order(session, "o1")
    paid_order(session, "o2", member_id="member-2")
    apply(
        session,
        handlers.record_wave_closed,
        envelope(
            "wave_closed",
            {
                "wave_id": "wave-1",
                "title": "桃",
                "pickup_at": "2026-01-01T09:00:00+00:00",
                "pickup_point": "快递柜旁",
            },
        ),
    )
    for status in ("packed", "delivering", "ready_for_pickup"):
        move(session, leader, status)
    with session.begin():
        return {o.order_id: o for o in session.scalars(select(FulfillmentOrder))}


def remind(session, hours_later, after_hours=24):
    with session.begin():
        now = session.get(FulfillmentOrder, "o1").ready_at + timedelta(hours=hours_later)
        return handlers.remind_overdue_pickups(session, after_hours, now=now)


def test_one_reminder_per_order_after_the_configured_hours(session, ready):
    assert remind(session, 23.9) == []
    assert sorted(remind(session, 24.1)) == ["o1", "o2"]
    assert remind(session, 30) == [] and remind(session, 100) == []  # once only
    reminders = outbox(session, "order_pickup_overdue")
    assert len(reminders) == 2 and reminders[0]["tenant_id"] == TENANT
    data = next(r["data"] for r in reminders if r["data"]["order_id"] == "o1")
    assert data == {
        "order_id": "o1",
        "member_id": "member-1",
        "pickup_code": ready["o1"].pickup_code,
        "pickup_point": "快递柜旁",
        "ready_at": ready["o1"].ready_at.isoformat(),
        "items": [{"name": "水蜜桃", "quantity": 2}],
    }
    assert remind(session, 3, after_hours=2) == []  # a shorter setting later does not remind twice


def test_collected_orders_are_not_reminded(session, leader, ready):
    verify(session, leader, ready["o1"].pickup_code)
    assert remind(session, 48) == ["o2"]


def test_the_hours_count_from_the_pickup_time_when_it_comes_after_ready(session, leader):
    paid_order(session, "o1")
    apply(
        session,
        handlers.record_wave_closed,
        envelope(
            "wave_closed",
            {
                "wave_id": "wave-1",
                "title": "桃",
                "pickup_at": "2099-01-01T09:00:00+00:00",
                "pickup_point": "快递柜旁",
            },
        ),
    )
    for status in ("packed", "delivering", "ready_for_pickup"):
        move(session, leader, status)
    assert remind(session, 48) == []
    with session.begin():
        handlers.remind_overdue_pickups(session, 24, now=datetime(2099, 1, 2, 10, tzinfo=UTC))
    assert len(outbox(session, "order_pickup_overdue")) == 1


def test_a_second_process_does_not_remind_again(session, ready):
    """Both processes read o1 as due; the other one's conditional update commits first."""
    real_execute = session.execute

    def racing(statement, *args, **kwargs):
        if getattr(statement, "is_update", False) and not getattr(racing, "done", False):
            racing.done = True
            real_execute(
                update(FulfillmentOrder)
                .where(FulfillmentOrder.order_id == "o1")
                .values(reminded_at=datetime(2026, 1, 1, tzinfo=UTC))
            )
        return real_execute(statement, *args, **kwargs)

    session.execute = racing
    try:
        assert remind(session, 25) == ["o2"]
    finally:
        del session.execute
    assert [r["data"]["order_id"] for r in outbox(session, "order_pickup_overdue")] == ["o2"]


def test_the_configured_hours_fall_back_to_the_default():
    assert handlers.reminder_hours(6) == 6 and handlers.reminder_hours("12") == 12
    for bad in (None, "", "soon", 0, -3):
        assert handlers.reminder_hours(bad) == 24


def test_an_order_cancelled_after_the_wave_move_read_it_is_left_cancelled_with_no_event(
    session, leader
):
    paid_order(session, "o1")
    paid_order(session, "o2")
    with session.begin():
        orders = handlers.paid_orders_of_wave(session, TENANT, "wave-1")
        # Another process's cancel commits between the move's read and its write.
        session.execute(
            update(FulfillmentOrder)
            .where(FulfillmentOrder.order_id == "o2")
            .values(status="cancelled")
            .execution_options(synchronize_session=False)
        )
        now = datetime.now(UTC)
        moved = [handlers._step(session, leader, o, "packed", now) for o in orders]
    assert sorted(zip((o.order_id for o in orders), moved, strict=True)) == [
        ("o1", True),
        ("o2", False),
    ]
    assert statuses(session) == {"o1": "packed", "o2": "cancelled"}
    assert [e["data"]["order_id"] for e in outbox(session, "order_packed")] == ["o1"]
