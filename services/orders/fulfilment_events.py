"""Orders follows fulfilment (履约): each step the leader takes lands on the order's timeline.

Events of different types travel on different queues, so a later step may arrive first: the
order then walks through the steps in between. An order already past a step, or taken off the
way (cancelled, refunding, refunded), is left alone: raising would only park the event.
The order is read under its row lock (``order_of_event``), so a cancel at the same moment
either comes first (the step is left alone) or finds the order packed (and is refused).
"""

from services.infra.messaging import emit, inbox_consumer
from services.infra.schemas import load
from services.orders import events, lifecycle, stats

BY = "system:fulfillment"
WAY = ["paid", "packed", "delivering", "ready_for_pickup", "completed"]
STEP = events.FulfilmentStepData()
READY = events.ReadyForPickupData()


def _advance(session, event, data, status):
    """Move the event's order along the way to ``status``; the order, or None if left alone."""
    order = lifecycle.order_of_event(session, event, data["order_id"])
    if order is None or order.status not in WAY or WAY.index(order.status) >= WAY.index(status):
        return None
    for step in WAY[WAY.index(order.status) + 1 : WAY.index(status) + 1]:
        lifecycle.transition(session, order, step, BY)
    return order


@inbox_consumer("services.orders.fulfilment_events:apply_order_packed")
def apply_order_packed(session, event):
    _advance(session, event, load(STEP, event["data"]), "packed")


@inbox_consumer("services.orders.fulfilment_events:apply_order_dispatched")
def apply_order_dispatched(session, event):
    _advance(session, event, load(STEP, event["data"]), "delivering")


@inbox_consumer("services.orders.fulfilment_events:apply_order_ready_for_pickup")
def apply_order_ready_for_pickup(session, event):
    data = load(READY, event["data"])
    order = _advance(session, event, data, "ready_for_pickup")
    if order is not None:
        pickup = data["pickup"]
        order.pickup_code, order.pickup_point, order.pickup_at = (
            pickup["code"],
            pickup["point"],
            pickup["at"],
        )


@inbox_consumer("services.orders.fulfilment_events:apply_order_picked_up")
def apply_order_picked_up(session, event):
    order = _advance(session, event, load(STEP, event["data"]), "completed")
    if order is not None:
        stats.record_completed(session, order)
        emit(
            session,
            events.ORDER_COMPLETED,
            {**lifecycle.order_facts(order), "completed_at": order.updated_at.isoformat()},
            tenant_id=order.tenant_id,
            correlation_id=event.get("correlation_id"),
        )
