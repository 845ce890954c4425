"""Fulfilment's copies behind their owners (``copies``): a wave closed a moment ago, an order paid
a moment ago. The owner is asked only on a miss; its yes is recorded as the event would record
it, its no refuses for the same reason as before."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import OTHER_TENANT, TENANT, FulfillmentCatalog, FulfillmentOrders, envelope
from sqlalchemy import select
from test_fulfillment import apply, close_wave, outbox, paid_order, statuses

from services.fulfillment import after_sales, batches, copies, handlers
from services.fulfillment.models import Base, FulfillmentOrder, FulfillmentWave
from services.infra.errors import Conflict, NotFound

PICKUP_AT = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
PAID_AT = (datetime.now(UTC) - timedelta(minutes=1)).replace(microsecond=0)


@pytest.fixture
def session(make_session):
    return make_session(Base, "fulfillment")


@pytest.fixture
def leader(caller):
    return caller("leader")


def catalog_wave(status="closed", wave_id="wave-1"):
    """``catalog.get_wave`` as the leader sees it."""
    return {
        "id": wave_id,
        "title": "本周水蜜桃团",
        "status": status,
        "cutoff_at": PAID_AT.isoformat(),
        "pickup_at": PICKUP_AT.isoformat(),
        "pickup_point": "3栋楼下快递柜旁",
        "packing_note": "轻拿轻放",
        "closed_at": PAID_AT.isoformat() if status == "closed" else None,
        "created_at": PAID_AT.isoformat(),
        "items": [{"product_id": "peach", "name": "水蜜桃", "unit": "斤", "price_cents": 6900}],
    }


def orders_order(order_id, status="paid", channel=None, member_id="member-1"):
    """``orders.get_order`` as the leader sees it."""
    timeline = [{"status": "pending_payment", "at": PAID_AT.isoformat(), "by": "member"}]
    if status != "pending_payment":
        timeline.append({"status": "paid", "at": PAID_AT.isoformat(), "by": "leader"})
    return {
        "id": order_id,
        "member_id": member_id,
        "status": status,
        "total_cents": 13800,
        "channel": channel or {"type": "wave", "id": "wave-1"},
        "timeline": timeline,
        "lines": [
            {
                "product_id": "peach",
                "name": "水蜜桃",
                "unit": "斤",
                "unit_price_cents": 6900,
                "quantity": 2,
            }
        ],
    }


def move_wave(session, caller, status, catalog, wave_id="wave-1", orders=None):
    return handlers.in_transaction(
        session,
        handlers.move_wave,
        caller,
        orders or FulfillmentOrders(),
        catalog,
        wave_id,
        {"status": status},
    )


def move_order(session, caller, order_id, status, orders, catalog=None, **body):
    return handlers.in_transaction(
        session,
        handlers.move_order,
        caller,
        orders,
        catalog or FulfillmentCatalog(),
        order_id,
        {"status": status, **body},
    )


def delivering_wave(session, leader):
    paid_order(session, "o1")
    paid_order(session, "o2", member_id="member-2")
    for status in ("packed", "delivering"):
        move_wave(session, leader, status, FulfillmentCatalog())


# --- a wave closed a moment ago --------------------------------------------------------------


def test_a_wave_fulfilment_has_not_heard_closed_is_asked_of_catalog_and_recorded(session, leader):
    delivering_wave(session, leader)
    catalog = FulfillmentCatalog(catalog_wave())
    assert move_wave(session, leader, "ready_for_pickup", catalog)["moved"] == 2
    assert catalog.asked == ["wave-1"]
    assert statuses(session) == {"o1": "ready_for_pickup", "o2": "ready_for_pickup"}
    pickups = [event["data"]["pickup"] for event in outbox(session, "order_ready_for_pickup")]
    assert {(p["point"], p["at"]) for p in pickups} == {("3栋楼下快递柜旁", PICKUP_AT.isoformat())}
    with session.begin():
        wave = session.get(FulfillmentWave, "wave-1")
        recorded = (wave.tenant_id, wave.title, wave.pickup_at, wave.packing_note, wave.units)
    assert recorded == (TENANT, "本周水蜜桃团", PICKUP_AT, "轻拿轻放", {"peach": "斤"})
    close_wave(session)  # catalog's wave_closed, heard at last, finds the row and keeps one
    with session.begin():
        assert len(session.scalars(select(FulfillmentWave)).all()) == 1


def test_a_wave_fulfilment_knows_closed_asks_nobody(session, leader):
    delivering_wave(session, leader)
    close_wave(session)
    catalog = FulfillmentCatalog(catalog_wave())
    assert move_wave(session, leader, "ready_for_pickup", catalog)["moved"] == 2
    paid_order(session, "o3")
    assert (
        move_wave(session, leader, "packed", catalog)["moved"] == 1
    )  # no pickup needed: nobody asked
    assert catalog.asked == []


@pytest.mark.parametrize(
    "answer", [catalog_wave(status="open"), None], ids=["still-open", "no-such-wave"]
)
def test_when_catalog_says_not_closed_the_move_is_refused_as_before(session, leader, answer):
    delivering_wave(session, leader)
    catalog = FulfillmentCatalog(*([answer] if answer else []))
    with pytest.raises(Conflict) as refused:
        move_wave(session, leader, "ready_for_pickup", catalog)
    assert refused.value.extra == {"reason": "wave_not_closed", "wave_id": "wave-1"}
    assert catalog.asked == ["wave-1"] and statuses(session) == {
        "o1": "delivering",
        "o2": "delivering",
    }
    with session.begin():
        assert session.get(FulfillmentWave, "wave-1") is None


def test_another_communitys_wave_is_not_asked_about(session, leader, caller):
    close_wave(session, wave_id="wave-b", tenant_id=OTHER_TENANT)
    paid_order(session, "o1", wave_id="wave-b")  # an id of B in A's order: never B's pickup
    move_order(session, leader, "o1", "packed", FulfillmentOrders())
    move_order(session, leader, "o1", "delivering", FulfillmentOrders())
    catalog = FulfillmentCatalog(catalog_wave(wave_id="wave-b"))
    with pytest.raises(Conflict) as refused:
        move_order(session, leader, "o1", "ready_for_pickup", FulfillmentOrders(), catalog)
    assert refused.value.extra["reason"] == "wave_not_closed" and catalog.asked == []


def test_one_order_of_a_wave_closed_a_moment_ago_takes_catalogs_pickup(session, leader):
    paid_order(session, "o1")
    move_order(session, leader, "o1", "packed", FulfillmentOrders())
    move_order(session, leader, "o1", "delivering", FulfillmentOrders())
    catalog = FulfillmentCatalog(catalog_wave())
    ready = move_order(session, leader, "o1", "ready_for_pickup", FulfillmentOrders(), catalog)
    assert (ready["pickup"]["point"], ready["pickup"]["at"]) == (
        "3栋楼下快递柜旁",
        PICKUP_AT.isoformat(),
    )
    assert catalog.asked == ["wave-1"]


# --- an order paid a moment ago --------------------------------------------------------------


def test_an_order_fulfilment_has_not_heard_paid_is_asked_of_orders_and_recorded(session, leader):
    orders = FulfillmentOrders(orders_order("o1"))
    moved = move_order(session, leader, "o1", "packed", orders)
    assert (moved["status"], moved["moved"], orders.asked) == ("packed", True, ["o1"])
    with session.begin():
        order = session.get(FulfillmentOrder, "o1")
        recorded = (
            order.tenant_id,
            order.member_id,
            order.channel_type,
            order.channel_id,
            order.items,
            order.total_quantity,
            order.total_cents,
            order.paid_at,
        )
    assert recorded == (
        TENANT,
        "member-1",
        "wave",
        "wave-1",
        [{"product_id": "peach", "name": "水蜜桃", "quantity": 2}],
        2,
        13800,
        PAID_AT,
    )
    assert [event["data"]["order_id"] for event in outbox(session, "order_packed")] == ["o1"]
    paid_order(session, "o1")  # orders' order_paid, heard at last, takes nothing back
    assert statuses(session) == {"o1": "packed"}
    assert move_order(session, leader, "o1", "delivering", orders)["moved"] is True
    assert orders.asked == ["o1"]  # the copy is current now: asked once


def test_an_order_fulfilment_knows_asks_nobody(session, leader):
    paid_order(session, "o1")
    orders = FulfillmentOrders(orders_order("o1"))
    move_order(session, leader, "o1", "packed", orders)
    assert orders.asked == []


@pytest.mark.parametrize("status", ["pending_payment", "cancelled", "refunded", None])
def test_when_orders_says_not_paid_the_order_is_still_not_found(session, leader, status):
    orders = FulfillmentOrders(*([orders_order("o1", status)] if status else []))
    with pytest.raises(NotFound) as refused:
        move_order(session, leader, "o1", "packed", orders)
    assert refused.value.extra == {"order_id": "o1"} and orders.asked == ["o1"]
    assert statuses(session) == {}


def test_an_order_known_only_from_a_refund_that_overtook_its_payment_is_asked_about(
    session, leader
):
    apply(
        session,
        handlers.record_order_refunded,
        envelope(
            "order_refunded",
            {
                "order_id": "o1",
                "member_id": "member-1",
                "channel": {"type": "wave", "id": "wave-1"},
                "lines": [{"product_id": "peach", "name": "水蜜桃", "quantity": 2}],
                "total_cents": 13800,
                "refunded_total_cents": 500,
                "whole": False,
            },
        ),
    )
    orders = FulfillmentOrders(orders_order("o1"))
    assert move_order(session, leader, "o1", "packed", orders)["status"] == "packed"
    with session.begin():
        order = session.get(FulfillmentOrder, "o1")
        assert (order.refunded_cents, order.paid_at, orders.asked) == (500, PAID_AT, ["o1"])


def test_another_communitys_order_is_not_asked_about(session, caller):
    paid_order(session, "o1")
    orders = FulfillmentOrders(orders_order("o1"))
    with pytest.raises(NotFound):
        move_order(session, caller("leader", tenant_id=OTHER_TENANT), "o1", "packed", orders)
    assert orders.asked == []


def test_an_order_paid_a_moment_ago_can_be_compensated(session, leader):
    orders = FulfillmentOrders(orders_order("o1", channel={"type": "shop", "id": None}))
    given = after_sales.compensate(
        session, leader, orders, "o1", {"type": "points", "amount": 20, "reason": "晚到"}
    )
    assert (given["status"], given["order_id"], orders.asked) == ("granted", "o1", ["o1"])
    with pytest.raises(NotFound) as refused:
        after_sales.compensate(
            session,
            leader,
            FulfillmentOrders(orders_order("o2", "pending_payment")),
            "o2",
            {"type": "points", "amount": 20, "reason": "晚到"},
        )
    assert refused.value.extra == {"order_id": "o2"}


# --- a wave moved the moment after its payments ----------------------------------------------


def test_a_wave_fulfilment_knows_no_paid_order_of_asks_orders_and_moves_them(session, leader):
    orders = FulfillmentOrders(
        orders_order("o1"),
        orders_order("o2", member_id="member-2"),
        orders_order("o3", "pending_payment"),
        orders_order("o4", channel={"type": "shop"}),
    )
    assert move_wave(session, leader, "packed", FulfillmentCatalog(), orders=orders)["moved"] == 2
    assert orders.asked == [{"wave_id": "wave-1"}]
    assert statuses(session) == {"o1": "packed", "o2": "packed"}
    assert (
        move_wave(session, leader, "delivering", FulfillmentCatalog(), orders=orders)["moved"] == 2
    )
    assert orders.asked == [{"wave_id": "wave-1"}]  # it knows them now: asked once


def test_a_wave_with_known_paid_orders_asks_orders_nothing(session, leader):
    paid_order(session, "o1")
    orders = FulfillmentOrders(orders_order("o2"))
    assert move_wave(session, leader, "packed", FulfillmentCatalog(), orders=orders)["moved"] == 1
    assert orders.asked == []


def test_a_wave_orders_has_no_paid_order_of_is_still_not_found(session, leader):
    orders = FulfillmentOrders(orders_order("o1", "cancelled"))
    with pytest.raises(NotFound) as refused:
        move_wave(session, leader, "packed", FulfillmentCatalog(), orders=orders)
    assert refused.value.extra == {"wave_id": "wave-1"} and orders.asked == [{"wave_id": "wave-1"}]
    assert statuses(session) == {}


def test_a_days_batch_fulfilment_knows_no_order_of_asks_orders_for_the_day(session, leader):
    orders = FulfillmentOrders(
        orders_order("s1", channel={"type": "shop", "id": None}), orders_order("w1")
    )
    day = PAID_AT.astimezone(ZoneInfo("Asia/Shanghai")).date()

    def move_batch(point="团长家"):
        return handlers.in_transaction(
            session,
            batches.move_batch,
            leader,
            orders,
            {"date": day.isoformat(), "pickup_point": point, "status": "packed"},
            None,
        )

    assert move_batch()["moved"] == 1
    (asked,) = orders.asked
    assert (
        datetime.fromisoformat(asked["paid_from"])
        <= PAID_AT
        < datetime.fromisoformat(asked["paid_to"])
    )
    assert statuses(session) == {"s1": "packed"}
    assert move_batch()["moved"] == 0 and len(orders.asked) == 1  # known now: nobody asked
    with pytest.raises(NotFound):
        move_batch("北门驿站")  # orders' orders have no point of their own yet: the default batch's


def test_a_row_recorded_first_by_someone_else_is_the_answer(session_factory):
    """The event (or a concurrent command) inserted the row between our look and our insert:
    the savepoint takes our insert back, the transaction goes on, and their row is answered."""
    Session = session_factory(Base, "fulfillment")
    with Session() as first, first.begin():
        copies.record_paid(first, TENANT, orders_order("o1"))
    with Session() as second, second.begin():
        duplicate = copies.new_order(TENANT, {**orders_order("o1"), "order_id": "o1"})
        row = copies._recorded(second, FulfillmentOrder, "o1", lambda: second.add(duplicate))
        assert row is not duplicate and (row.order_id, row.status) == ("o1", "to_pack")
        second.add(
            FulfillmentWave(wave_id="w", tenant_id=TENANT, pickup_at=PICKUP_AT, pickup_point="门口")
        )
    with Session() as third:
        assert third.get(FulfillmentWave, "w") is not None  # the rest of the transaction was kept
