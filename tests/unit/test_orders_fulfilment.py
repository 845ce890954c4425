"""Orders applies fulfilment's events: packed, delivering, ready (with the pickup code),
completed."""

from datetime import UTC, datetime

import pytest
from conftest import OTHER_TENANT, TENANT, FakeCatalog, FakeCrm, envelope, every_product
from sqlalchemy import select

from services.infra.db import utcnow
from services.infra.errors import Invalid
from services.infra.messaging import OutboxMessage
from services.orders import fulfilment_events, handlers, payments
from services.orders.models import Base, Order
from services.orders.schemas import ORDER

PROVIDERS = {"offline": payments.OfflineProvider()}
PICKUP = {
    "code": "042917",
    "point": "3栋楼下快递柜旁",
    "at": datetime(2026, 11, 28, 9, tzinfo=UTC).isoformat(),
}


CATALOG = FakeCatalog(every_product("水蜜桃", 6900), unit="盒")


@pytest.fixture
def session(make_session):
    return make_session(Base, "orders")


@pytest.fixture
def order_id(session, caller):
    placed = handlers.place_order(
        session,
        CATALOG,
        FakeCrm(),
        caller("member"),
        {"items": [{"product_id": "p", "quantity": 2}]},
    )
    with session.begin():
        payments.mark_paid_offline(session, caller("leader"), PROVIDERS, placed["id"])
    return placed["id"]


def event(event_type, order_id, tenant_id=TENANT, **extra):
    return envelope(
        event_type,
        {"order_id": order_id, "member_id": "member-1", "at": utcnow().isoformat(), **extra},
        tenant_id,
        correlation_id="c-1",
    )


def apply(session, handler, payload):
    with session.begin():
        handler(session, payload)


def order_of(session, order_id):
    with session.begin():
        return ORDER.dump(session.get(Order, order_id))


def completed_events(session):
    with session.begin():
        return [
            r.payload
            for r in session.scalars(select(OutboxMessage))
            if r.event_type == "order_completed"
        ]


def test_each_step_lands_on_the_timeline_and_pickup_completes_the_order(session, order_id):
    apply(session, fulfilment_events.apply_order_packed, event("order_packed", order_id))
    assert order_of(session, order_id)["status"] == "packed"
    assert order_of(session, order_id)["pickup"] is None
    apply(session, fulfilment_events.apply_order_dispatched, event("order_dispatched", order_id))
    apply(
        session,
        fulfilment_events.apply_order_ready_for_pickup,
        event("order_ready_for_pickup", order_id, pickup=PICKUP),
    )
    shown = order_of(session, order_id)
    assert shown["status"] == "ready_for_pickup" and shown["pickup"] == PICKUP
    apply(session, fulfilment_events.apply_order_picked_up, event("order_picked_up", order_id))
    shown = order_of(session, order_id)
    assert shown["status"] == "completed"
    assert [(s["status"], s["by"]) for s in shown["timeline"]] == [
        ("pending_payment", "member"),
        ("paid", "leader"),
        ("packed", "system"),
        ("delivering", "system"),
        ("ready_for_pickup", "system"),
        ("completed", "system"),
    ]
    completed = completed_events(session)
    assert len(completed) == 1
    assert (
        completed[0]["data"]["order_id"] == order_id
        and completed[0]["data"]["total_cents"] == 13800
    )
    assert completed[0]["tenant_id"] == TENANT and "completed_at" in completed[0]["data"]


def test_a_late_event_or_one_for_an_order_past_it_changes_nothing(session, order_id):
    # Queues differ per event type: ready may arrive before packed and dispatched.
    apply(
        session,
        fulfilment_events.apply_order_ready_for_pickup,
        event("order_ready_for_pickup", order_id, pickup=PICKUP),
    )
    apply(session, fulfilment_events.apply_order_packed, event("order_packed", order_id))
    apply(session, fulfilment_events.apply_order_dispatched, event("order_dispatched", order_id))
    shown = order_of(session, order_id)
    assert shown["status"] == "ready_for_pickup"
    assert [s["status"] for s in shown["timeline"]] == [
        "pending_payment",
        "paid",
        "packed",
        "delivering",
        "ready_for_pickup",
    ]
    apply(session, fulfilment_events.apply_order_picked_up, event("order_picked_up", order_id))
    apply(session, fulfilment_events.apply_order_picked_up, event("order_picked_up", order_id))
    assert len(completed_events(session)) == 1


def test_cancelled_foreign_or_unknown_orders_are_left_alone(session, caller, order_id):
    with session.begin():
        payments.cancel_order(session, caller("leader"), PROVIDERS, order_id)
    apply(session, fulfilment_events.apply_order_packed, event("order_packed", order_id))
    apply(session, fulfilment_events.apply_order_picked_up, event("order_picked_up", order_id))
    assert order_of(session, order_id)["status"] == "cancelled"
    apply(session, fulfilment_events.apply_order_packed, event("order_packed", "no-such-order"))
    assert completed_events(session) == []


def test_an_event_of_another_community_is_ignored(session, order_id):
    apply(
        session,
        fulfilment_events.apply_order_packed,
        event("order_packed", order_id, tenant_id=OTHER_TENANT),
    )
    assert order_of(session, order_id)["status"] == "paid"


def test_a_ready_event_without_its_pickup_is_invalid(session, order_id):
    with pytest.raises(Invalid):
        apply(
            session,
            fulfilment_events.apply_order_ready_for_pickup,
            event("order_ready_for_pickup", order_id),
        )
    assert order_of(session, order_id)["status"] == "paid"
