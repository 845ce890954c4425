"""The order's life (docs/architecture.md, "The order's life"): legal transitions only, each on the timeline.

    pending_payment -> paid -> packed -> delivering -> ready_for_pickup -> completed
           |             \\------------------------------------------------------\\-> refunding -> refunded
           \\-> cancelled (by the member, the leader, or the unpaid timeout)

A refund, whole or partial, may come at any step from paid on, also after completion
(after-sale). A partial refund leaves the order where it is; the whole amount back makes it
refunded.
"""

import logging

from sqlalchemy import select

from services.infra.db import utcnow
from services.infra.errors import Conflict
from services.infra.messaging import emit
from services.orders import events, stats
from services.orders.models import Order, OrderStatusChange

TRANSITIONS = {
    "pending_payment": {"paid", "cancelled"},
    "paid": {"packed", "cancelled", "refunding", "refunded"},
    "packed": {"delivering", "refunding", "refunded"},
    "delivering": {"ready_for_pickup", "refunding", "refunded"},
    "ready_for_pickup": {"completed", "refunding", "refunded"},
    "completed": {"refunding", "refunded"},
    "refunding": {"refunded", "paid", "completed"},
    "cancelled": set(),
    "refunded": set(),
}
MEMBER_MAY_CANCEL = {"pending_payment", "paid"}  # before packing

log = logging.getLogger(__name__)


def order_of_event(session, event, order_id):
    """The community's order another service's event names, or None (logged): an event about
    an unknown order is ignored, since raising would only park it."""
    order = session.get(Order, order_id)
    if order is None or order.tenant_id != event["tenant_id"]:
        log.warning("%s for an unknown order %s: ignored", event["event_type"], order_id)
        return None
    return order


def transition(order, status, by):
    """Move ``order`` to ``status`` or raise ``Conflict`` naming both states."""
    if status not in TRANSITIONS[order.status]:
        raise Conflict(
            f"An order that is {order.status} cannot become {status}.",
            {"reason": "wrong_state", "from": order.status, "to": status},
        )
    now = utcnow()
    order.status = status
    order.updated_at = now
    order.timeline.append(OrderStatusChange(status=status, at=now, by=by))


def order_facts(order):
    """What every order event carries."""
    return {
        "order_id": order.id,
        "member_id": order.member_id,
        "channel": {"type": order.channel_type, "id": order.channel_id},
        "lines": [{"product_id": line.product_id, "name": line.name, "quantity": line.quantity,
                   "unit_price_cents": line.unit_price_cents} for line in order.lines],
        "total_cents": order.total_cents,
        "placed_at": order.created_at.isoformat(),
    }


def mark_paid(session, order, by, method, correlation_id=None):
    transition(order, "paid", by)
    stats.record_paid(session, order)
    emit(session, events.ORDER_PAID,
         {**order_facts(order), "payment_method": method, "paid_at": order.updated_at.isoformat()},
         tenant_id=order.tenant_id, correlation_id=correlation_id)


def cancel(session, order, by, reason, correlation_id=None):
    transition(order, "cancelled", by)
    emit(session, events.ORDER_CANCELLED,
         {**order_facts(order), "reason": reason, "cancelled_at": order.updated_at.isoformat()},
         tenant_id=order.tenant_id, correlation_id=correlation_id)


def overdue_orders(session, now, limit=200):
    """Unpaid orders past their payment deadline."""
    return session.scalars(
        select(Order)
        .where(Order.status == "pending_payment", Order.expires_at < now)
        .order_by(Order.expires_at)
        .limit(limit)
    ).all()
