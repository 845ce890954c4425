"""The order's life (docs/architecture.md, "The order's life"): legal transitions only, each
on the timeline.

    pending_payment -> paid -> packed -> delivering -> ready_for_pickup -> completed
           |             \\------------------------------------------------------\\
           |                                                         refunded <- refunding
           \\-> cancelled (by the member, the leader, or the unpaid timeout)

A refund, whole or partial, may come at any step from paid on, also after completion
(after-sale). A partial refund leaves the order where it is; the whole amount back makes it
refunded.

Several processes change the same order at once (a payment webhook and the unpaid timeout, a
member's cancel and the leader's mark-paid, ``order_packed`` and a cancel), so two rules hold
for every writer: it takes the order's row lock before it decides (``locked_order``,
``order_of_event``, ``overdue_orders``: the order is what its payments, refunds and after-sale
rows hang on, so one lock orders them all), and the status itself moves by compare-and-set
(``transition``), so a writer that decided on a stale read changes nothing and says so.
"""

import logging

from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from services.infra.db import ROW_LOCK, claim_batch, compare_and_set, utcnow
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
    """The community's order another service's event names, locked, or None (logged): an event
    about an unknown order is ignored, since raising would only park it."""
    order = session.get(Order, order_id, **ROW_LOCK)
    if order is None or order.tenant_id != event["tenant_id"]:
        log.warning("%s for an unknown order %s: ignored", event["event_type"], order_id)
        return None
    return order


def _wrong_state(order, status):
    return Conflict(
        f"An order that is {order.status} cannot become {status}.",
        {"reason": "wrong_state", "from": order.status, "to": status},
    )


def transition(session, order, status, by):
    """Move ``order`` to ``status`` or raise ``Conflict`` naming both states.

    A compare-and-set on the status ``order`` was read with: if another process moved the order
    since (a read without the row lock, or SQLite's other process), nothing changes and the
    ``Conflict`` names the state it is really in, exactly as if this call had come second.
    Whoever goes on after a transition (events, refunds, stats) therefore acts once.
    """
    if status not in TRANSITIONS[order.status]:
        raise _wrong_state(order, status)
    now = utcnow()
    if not compare_and_set(
        session,
        Order,
        (Order.id == order.id, Order.status == order.status),
        {"status": status, "updated_at": now},
    ):
        session.refresh(order, ["status", "updated_at"])
        raise _wrong_state(order, status)
    set_committed_value(order, "status", status)
    set_committed_value(order, "updated_at", now)
    order.timeline.append(OrderStatusChange(status=status, at=now, by=by))


def locked_order(session, order_id):
    """The order ``order_id`` as committed now, locked until the transaction ends (None if absent):
    what every writer of an order reads before it decides."""
    return session.get(Order, order_id, **ROW_LOCK) if isinstance(order_id, str) else None


def order_facts(order):
    """What every order event carries."""
    return {
        "order_id": order.id,
        "member_id": order.member_id,
        "channel": {"type": order.channel_type, "id": order.channel_id},
        "lines": [
            {
                "product_id": line.product_id,
                "name": line.name,
                "quantity": line.quantity,
                "unit_price_cents": line.unit_price_cents,
            }
            for line in order.lines
        ],
        "total_cents": order.total_cents,
        "placed_at": order.created_at.isoformat(),
    }


def mark_paid(session, order, by, method, correlation_id=None):
    transition(session, order, "paid", by)
    stats.record_paid(session, order)
    emit(
        session,
        events.ORDER_PAID,
        {**order_facts(order), "payment_method": method, "paid_at": order.updated_at.isoformat()},
        tenant_id=order.tenant_id,
        correlation_id=correlation_id,
    )


def cancel(session, order, by, reason, correlation_id=None):
    transition(session, order, "cancelled", by)
    emit(
        session,
        events.ORDER_CANCELLED,
        {**order_facts(order), "reason": reason, "cancelled_at": order.updated_at.isoformat()},
        tenant_id=order.tenant_id,
        correlation_id=correlation_id,
    )


def overdue_orders(session, now, limit=200):
    """Unpaid orders past their payment deadline, claimed (``claim_batch``): the timeout timer
    runs in every orders process, and each overdue order is cancelled by one of them; a webhook
    paying the order at that moment waits for the claim, or the claim skips the order it holds."""
    return claim_batch(
        session,
        select(Order)
        .where(Order.status == "pending_payment", Order.expires_at < now)
        .order_by(Order.expires_at)
        .limit(limit),
    )
