"""Fulfilment: read models from events, moving a wave, pickup codes and their verification."""

from datetime import UTC, datetime, timedelta

import pytest
from conftest import OTHER_TENANT, TENANT, FulfillmentCatalog, FulfillmentOrders, envelope
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.fulfillment import handlers
from services.fulfillment import picking as picking_module
from services.fulfillment.models import (
    Base,
    FulfillmentMember,
    FulfillmentOrder,
    FulfillmentWave,
    PickupVerificationFailure,
)
from services.infra.db import utcnow
from services.infra.errors import Conflict, Forbidden, Invalid, NotFound, RateLimited
from services.infra.messaging import EventInbox, InboxRecord, OutboxMessage

PICKUP_AT = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


@pytest.fixture
def session(make_session):
    return make_session(Base, "fulfillment")


@pytest.fixture
def leader(caller):
    return caller("leader")


def order_event(event_type, order_id, member_id="member-1", wave_id="wave-1", tenant_id=TENANT):
    return envelope(
        event_type,
        {
            "order_id": order_id,
            "member_id": member_id,
            "channel": {"type": "wave", "id": wave_id},
            "lines": [
                {"product_id": "peach", "name": "水蜜桃", "quantity": 2, "unit_price_cents": 6900}
            ],
        },
        tenant_id,
    )


def apply(session, handler, event):
    with session.begin():
        handler(session, event)


def paid_order(session, order_id, member_id="member-1", wave_id="wave-1", tenant_id=TENANT):
    apply(
        session,
        handlers.record_order_paid,
        order_event("order_paid", order_id, member_id, wave_id, tenant_id),
    )


def close_wave(session, wave_id="wave-1", tenant_id=TENANT):
    apply(
        session,
        handlers.record_wave_closed,
        envelope(
            "wave_closed",
            {
                "wave_id": wave_id,
                "title": "本周水蜜桃团",
                "pickup_at": PICKUP_AT.isoformat(),
                "pickup_point": "3栋楼下快递柜旁",
                "closed_at": utcnow().isoformat(),
            },
            tenant_id,
        ),
    )


def move(session, caller, status, wave_id="wave-1"):
    return handlers.in_transaction(
        session,
        handlers.move_wave,
        caller,
        FulfillmentOrders(),
        FulfillmentCatalog(),
        wave_id,
        {"status": status},
    )


def statuses(session):
    with session.begin():
        return {o.order_id: o.status for o in session.scalars(select(FulfillmentOrder))}


def outbox(session, event_type):
    with session.begin():
        return [
            row.payload
            for row in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
            if row.event_type == event_type
        ]


def verify(session, caller, code):
    return handlers.verify_pickup(session, caller, {"code": code})


# --- read models -----------------------------------------------------------------------------


def test_members_and_waves_are_recorded_once_per_event(session_factory):
    Session = session_factory(Base, "fulfillment")
    joined = envelope(
        "member_joined",
        {
            "member_id": "member-1",
            "community_slug": "x",
            "name": "张姐",
            "building": "3栋",
            "unit": "1201",
            "status": "active",
        },
    )
    closed = envelope(
        "wave_closed",
        {
            "wave_id": "wave-1",
            "title": "桃",
            "pickup_at": PICKUP_AT.isoformat(),
            "pickup_point": "快递柜旁",
            "closed_at": utcnow().isoformat(),
        },
    )

    class FakeInbox(EventInbox):
        @property
        def Session(self):
            return Session

    inbox = FakeInbox()
    assert inbox.consume(joined, handlers.record_member_joined) == "processed"
    assert inbox.consume(joined, handlers.record_member_joined) == "duplicate"
    assert inbox.consume(closed, handlers.record_wave_closed) == "processed"
    assert inbox.consume(closed, handlers.record_wave_closed) == "duplicate"
    with Session() as session:
        member = session.get(FulfillmentMember, "member-1")
        assert (member.tenant_id, member.name, member.building, member.unit) == (
            TENANT,
            "张姐",
            "3栋",
            "1201",
        )
        wave = session.get(FulfillmentWave, "wave-1")
        assert (wave.pickup_point, wave.pickup_at) == ("快递柜旁", PICKUP_AT)
        assert len(session.scalars(select(InboxRecord)).all()) == 2


def test_a_late_payment_does_not_revive_a_cancelled_order(session):
    apply(session, handlers.record_order_cancelled, order_event("order_cancelled", "o1"))
    apply(session, handlers.record_order_paid, order_event("order_paid", "o1"))
    assert statuses(session) == {"o1": "cancelled"}


def test_a_whole_refund_takes_the_order_off_the_lists_a_partial_one_does_not(session):
    paid_order(session, "whole")
    paid_order(session, "partial")
    for order_id, whole in (("whole", True), ("partial", False)):
        event = order_event("order_refunded", order_id)
        event["data"]["whole"] = whole
        apply(session, handlers.record_order_refunded, event)
    assert statuses(session) == {"whole": "cancelled", "partial": "to_pack"}


def test_a_wave_closed_event_without_a_pickup_point_is_invalid(session):
    with pytest.raises(Invalid):
        apply(
            session,
            handlers.record_wave_closed,
            envelope("wave_closed", {"wave_id": "w", "pickup_at": "soon"}),
        )


# --- moving a wave ---------------------------------------------------------------------------


def test_a_wave_moves_one_step_at_a_time_and_each_order_emits_its_event(session, leader):
    paid_order(session, "o1")
    paid_order(session, "o2", member_id="member-2")
    paid_order(session, "gone")
    apply(session, handlers.record_order_cancelled, order_event("order_cancelled", "gone"))
    paid_order(session, "elsewhere", wave_id="wave-2")
    close_wave(session)

    with pytest.raises(Conflict) as skipped:
        move(session, leader, "delivering")
    assert skipped.value.extra["reason"] == "wrong_state"
    assert outbox(session, "order_dispatched") == []

    assert move(session, leader, "packed") == {"wave_id": "wave-1", "status": "packed", "moved": 2}
    assert move(session, leader, "packed")["moved"] == 0  # already there: left alone
    with pytest.raises(Conflict):
        move(session, leader, "ready_for_pickup")
    assert move(session, leader, "delivering")["moved"] == 2
    assert move(session, leader, "packed")["moved"] == 0  # past it: left alone
    assert move(session, leader, "ready_for_pickup")["moved"] == 2

    assert statuses(session) == {
        "o1": "ready_for_pickup",
        "o2": "ready_for_pickup",
        "gone": "cancelled",
        "elsewhere": "to_pack",
    }
    packed = outbox(session, "order_packed")
    assert sorted(e["data"]["order_id"] for e in packed) == ["o1", "o2"]
    assert (
        set(packed[0]["data"]) == {"order_id", "member_id", "at"}
        and packed[0]["tenant_id"] == TENANT
    )
    assert len(outbox(session, "order_dispatched")) == 2
    ready = outbox(session, "order_ready_for_pickup")
    assert len(ready) == 2
    pickup = ready[0]["data"]["pickup"]
    assert pickup["point"] == "3栋楼下快递柜旁" and pickup["at"] == PICKUP_AT.isoformat()
    assert len(pickup["code"]) == 6 and pickup["code"].isdigit()


def test_only_staff_move_a_wave_of_their_own_community(session, leader, caller):
    paid_order(session, "o1")
    with pytest.raises(Forbidden):
        move(session, caller("member"), "packed")
    with pytest.raises(NotFound):
        move(session, caller("leader", tenant_id=OTHER_TENANT), "packed")
    with pytest.raises(NotFound):
        move(session, leader, "packed", wave_id="no-such-wave")
    with pytest.raises(Invalid):
        move(session, leader, "completed")
    with pytest.raises(Invalid):
        handlers.in_transaction(
            session,
            handlers.move_wave,
            leader,
            FulfillmentOrders(),
            FulfillmentCatalog(),
            "wave-1",
            {"status": "packed", "x": 1},
        )
    assert statuses(session) == {"o1": "to_pack"}


def test_ready_for_pickup_needs_the_closed_wave(session, leader):
    paid_order(session, "o1")
    move(session, leader, "packed")
    move(session, leader, "delivering")
    with pytest.raises(Conflict) as refused:
        move(session, leader, "ready_for_pickup")
    assert refused.value.extra["reason"] == "wave_not_closed"
    assert statuses(session) == {"o1": "delivering"}


def test_pickup_codes_are_six_digits_and_unique_among_open_orders(session, leader, monkeypatch):
    draws = iter([42, 42, 42, 123456, 999999])
    monkeypatch.setattr(handlers.secrets, "randbelow", lambda n: next(draws))
    for i in range(3):
        paid_order(session, f"o{i}")
    close_wave(session)
    for status in ("packed", "delivering", "ready_for_pickup"):
        move(session, leader, status)
    with session.begin():
        codes = sorted(o.pickup_code for o in session.scalars(select(FulfillmentOrder)))
    assert codes == ["000042", "123456", "999999"]


def test_the_database_refuses_a_duplicate_open_code(session):
    paid_order(session, "o1")
    paid_order(session, "o2")
    with pytest.raises(IntegrityError), session.begin():
        for order in session.scalars(select(FulfillmentOrder)):
            order.open_pickup_code = "123456"


def test_a_race_for_the_same_code_is_retried(session, leader, monkeypatch):
    paid_order(session, "o1")
    close_wave(session)
    move(session, leader, "packed")
    move(session, leader, "delivering")
    calls = []
    real = handlers.move_wave

    def racing(session, *args):
        calls.append(1)
        if len(calls) == 1:
            raise IntegrityError("insert", {}, Exception("UNIQUE constraint failed"))
        return real(session, *args)

    assert (
        handlers.in_transaction(
            session,
            racing,
            leader,
            FulfillmentOrders(),
            FulfillmentCatalog(),
            "wave-1",
            {"status": "ready_for_pickup"},
        )["moved"]
        == 1
    )
    assert len(calls) == 2


# --- pickup ----------------------------------------------------------------------------------


@pytest.fixture
def ready(session, leader):
    """Two orders of member-1 and member-2, ready for pickup; their codes."""
    apply(
        session,
        handlers.record_member_joined,
        envelope(
            "member_joined",
            {"member_id": "member-1", "name": "张姐", "building": "3栋", "unit": "1201"},
        ),
    )
    paid_order(session, "o1")
    paid_order(session, "o2", member_id="member-2")
    close_wave(session)
    for status in ("packed", "delivering", "ready_for_pickup"):
        move(session, leader, status)
    with session.begin():
        return {o.order_id: o.pickup_code for o in session.scalars(select(FulfillmentOrder))}


def test_a_pickup_code_completes_its_order_once(session, leader, ready):
    answer = verify(session, leader, ready["o1"])
    assert answer == {
        "order_id": "o1",
        "member": {"name": "张姐", "building": "3栋", "unit": "1201"},
        "items": [{"product_id": "peach", "name": "水蜜桃", "quantity": 2}],
    }
    assert statuses(session)["o1"] == "picked_up"
    picked = outbox(session, "order_picked_up")
    assert (
        len(picked) == 1
        and picked[0]["data"]["order_id"] == "o1"
        and picked[0]["data"]["member_id"] == "member-1"
    )
    with pytest.raises(Conflict) as again:
        verify(session, leader, ready["o1"])
    assert again.value.extra["reason"] == "already_picked_up"
    assert len(outbox(session, "order_picked_up")) == 1
    with session.begin():
        assert (
            session.get(FulfillmentOrder, "o1").open_pickup_code is None
        )  # free for a later order


def test_a_wrong_or_foreign_code_reveals_nothing(session, leader, caller, ready):
    wrong = next(f"{n:06d}" for n in range(10**6) if f"{n:06d}" not in ready.values())
    with pytest.raises(NotFound) as missing:
        verify(session, leader, wrong)
    assert missing.value.extra == {}
    with pytest.raises(NotFound) as foreign:
        verify(session, caller("leader", tenant_id=OTHER_TENANT), ready["o1"])
    assert foreign.value.extra == {} and foreign.value.detail == missing.value.detail
    with pytest.raises(Forbidden):
        verify(session, caller("member"), ready["o1"])
    for bad in ({"code": "12345"}, {"code": "abcdef"}, {"code": 123456}, {}):
        with pytest.raises(Invalid):
            handlers.verify_pickup(session, leader, bad)
    assert statuses(session)["o1"] == "ready_for_pickup"


def test_wrong_codes_are_rate_limited_per_community(session, leader, caller, ready):
    wrong = [f"{n:06d}" for n in range(10**6) if f"{n:06d}" not in ready.values()][:11]
    for code in wrong[:10]:
        with pytest.raises(NotFound):
            verify(session, leader, code)
    with pytest.raises(RateLimited):
        verify(session, leader, ready["o1"])  # even the right code waits now
    assert statuses(session)["o1"] == "ready_for_pickup"
    with pytest.raises(NotFound):  # another community is not limited
        verify(session, caller("leader", tenant_id=OTHER_TENANT), wrong[10])
    with session.begin():  # a minute later the failures have expired
        for failure in session.scalars(select(PickupVerificationFailure)):
            failure.at = failure.at - timedelta(seconds=61)
    assert verify(session, leader, ready["o1"])["order_id"] == "o1"


# --- picking list ----------------------------------------------------------------------------


def placed(session, order_id, member_id, lines, wave_id="wave-1", paid=True):
    data = {
        "order_id": order_id,
        "member_id": member_id,
        "channel": {"type": "wave", "id": wave_id},
        "lines": [{"product_id": pid, "name": name, "quantity": qty} for pid, name, qty in lines],
    }
    if paid:  # fulfilment hears of an order when it is paid
        apply(session, handlers.record_order_paid, envelope("order_paid", data))


@pytest.fixture
def wave(session):
    for member_id, name, building, unit in [
        ("m1", "张姐", "12栋", "1201"),
        ("m2", "=HYPERLINK(1)", "3栋", "502"),
        ("m3", "刘哥", "3栋", "101"),
    ]:
        apply(
            session,
            handlers.record_member_joined,
            envelope(
                "member_joined",
                {"member_id": member_id, "name": name, "building": building, "unit": unit},
            ),
        )
    close_wave(session)
    placed(session, "o1", "m1", [("peach", "水蜜桃", 2), ("milk", "牛奶", 1)])
    placed(session, "o2", "m1", [("peach", "水蜜桃", 1)])
    placed(session, "o3", "m2", [("milk", "牛奶", 3)])
    placed(session, "o4", "m3", [("peach", "水蜜桃", 5)], paid=False)
    placed(session, "o5", "m3", [("peach", "水蜜桃", 7)])
    apply(session, handlers.record_order_cancelled, order_event("order_cancelled", "o5", "m3"))
    placed(session, "o6", "m3", [("egg", "鸡蛋", 1)], wave_id="wave-2")


def picking(session, caller, wave_id="wave-1", **query):
    with session.begin():
        return picking_module.picking_list(session, caller, wave_id, query)


def test_the_picking_list_by_product_totals_paid_orders_only(session, leader, wave):
    listing = picking(session, leader)
    assert listing["orders"] == 3 and listing["total_quantity"] == 7
    assert listing["wave"]["pickup_point"] == "3栋楼下快递柜旁"
    assert {p["product_id"]: (p["quantity"], p["orders"]) for p in listing["products"]} == {
        "peach": (3, 2),
        "milk": (4, 2),
    }


def test_the_picking_list_by_member_groups_by_building_then_unit(session, leader, wave):
    buildings = picking(session, leader, group_by="member")["buildings"]
    assert [b["building"] for b in buildings] == ["3栋", "12栋"]  # numbers compare as numbers
    assert [u["unit"] for u in buildings[0]["units"]] == [
        "502"
    ]  # m3 has no paid order in this wave
    zhang = buildings[1]["units"][0]["members"][0]
    assert zhang["name"] == "张姐" and sorted(zhang["orders"]) == ["o1", "o2"]
    assert {i["product_id"]: i["quantity"] for i in zhang["items"]} == {"peach": 3, "milk": 1}


def test_the_csv_has_chinese_headers_and_defuses_formulas(session, leader, wave):
    by_product = picking(session, leader, format="csv")
    assert by_product["filename"] == "picking-list-wave-1-product.csv"
    rows = by_product["content"].splitlines()
    assert rows[0] == "商品编号,商品,数量,订单数" and "peach,水蜜桃,3,2" in rows
    by_member = picking(session, leader, group_by="member", format="csv")["content"].splitlines()
    assert by_member[0] == "楼栋,单元,团员,商品编号,商品,数量"
    assert "3栋,502,'=HYPERLINK(1),milk,牛奶,3" in by_member


def test_the_picking_list_is_for_the_communitys_staff_and_checks_its_query(
    session, leader, caller, wave
):
    with pytest.raises(NotFound):
        picking(session, caller("leader", tenant_id=OTHER_TENANT))
    with pytest.raises(NotFound):
        picking(session, leader, wave_id="nope")
    with pytest.raises(Forbidden):
        picking(session, caller("member"))
    for bad in ({"group_by": "price"}, {"format": "xlsx"}, {"sort": "x"}):
        with pytest.raises(Invalid):
            picking(session, leader, **bad)
