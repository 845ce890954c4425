"""Fulfilment use cases (履约): plain functions over a session.

The moves decide on fulfilment's copies of orders' and catalog's facts; a move the moment after
a payment or a wave's close, before the event has arrived, asks the owner instead of refusing
(``copies`` says when and why). The owners come in as arguments (``orders``, ``catalog``).
"""

import secrets
from datetime import timedelta
from functools import partial

from sqlalchemy import delete, func, select, update

from services.fulfillment import copies, events
from services.fulfillment.models import (
    FulfillmentCommunity,
    FulfillmentMember,
    FulfillmentOrder,
    PickupVerificationFailure,
)
from services.fulfillment.schemas import MOVE_ORDER_INPUT, MOVE_WAVE_INPUT, VERIFY_PICKUP_INPUT
from services.infra import db as infra_db
from services.infra.db import ROW_LOCK, compare_and_set, get_in_community, utcnow
from services.infra.errors import Conflict, NotFound, RateLimited, invalid
from services.infra.messaging import emit, inbox_consumer
from services.infra.schemas import load

ORDER_FACTS = events.OrderFactsData()
ORDER_PAID = events.OrderPaidData()
ORDER_REFUNDED = events.OrderRefundedData()
MEMBER_JOINED = events.MemberJoinedData()
WAVE_CLOSED = events.WaveClosedData()
COMMUNITY_CREATED = events.CommunityCreatedData()

# A paid order's way to the member; awaiting_payment and cancelled orders are not on it.
STEPS = ["to_pack", "packed", "delivering", "ready_for_pickup", "picked_up"]
CODE_SPACE = 10**6
MAX_CODE_TRIES = 50
FAILURE_WINDOW = timedelta(seconds=60)
MAX_FAILURES = 10
ATTEMPTS = 3  # a concurrent mover that took the same pickup code: try the whole move again


# --- read models, from events ----------------------------------------------------------------


def _order_record(session, event):
    """The event's order in the read model, recorded from the first of its events fulfilment
    hears of (paid, cancelled or refunded all carry the order's facts). An unpaid order is
    nothing to pack yet, so fulfilment does not listen to ``order_placed``.

    Read under its row lock: ``order_paid`` and ``order_cancelled`` travel on different queues
    and may be handled at once in two processes; each decides on what the other committed."""
    data = load(ORDER_FACTS, event["data"])
    record = session.get(FulfillmentOrder, data["order_id"], **ROW_LOCK)
    if record is None:
        record = copies.new_order(event["tenant_id"], data)
        session.add(record)
    return record


def _set_status(session, event, status):
    """The event's record, moved to ``status`` where that is a step forward."""
    record = _order_record(session, event)
    # Each event type has its own queue: a late order_paid must not revive a cancelled order.
    if status == "to_pack" and record.status != "awaiting_payment":
        return record
    if status == "cancelled" and record.status != "picked_up":
        record.open_pickup_code = None
    elif status == "cancelled":
        return record
    record.status = status
    return record


@inbox_consumer("services.fulfillment.handlers:record_order_paid")
def record_order_paid(session, event):
    """Paid orders are the ones to pick and pack; the day it was paid puts an order outside a
    wave in its batch."""
    _set_status(session, event, "to_pack")
    data = load(ORDER_PAID, event["data"])
    record = session.get(FulfillmentOrder, data["order_id"])
    if record.paid_at is None:
        record.paid_at = data["paid_at"] or utcnow()


@inbox_consumer("services.fulfillment.handlers:record_order_cancelled")
def record_order_cancelled(session, event):
    """A cancelled order leaves the lists."""
    _set_status(session, event, "cancelled")


@inbox_consumer("services.fulfillment.handlers:record_order_refunded")
def record_order_refunded(session, event):
    """An order refunded whole before it was handed over leaves the lists; a partial refund
    (one damaged bottle) does not. What was given back so far bounds after-sale refunds."""
    data = load(ORDER_REFUNDED, event["data"])
    record = (
        _set_status(session, event, "cancelled") if data["whole"] else _order_record(session, event)
    )
    # Refund events may arrive out of order: the running total only grows.
    record.refunded_cents = max(record.refunded_cents or 0, data["refunded_total_cents"])


@inbox_consumer("services.fulfillment.handlers:record_member_joined")
def record_member_joined(session, event):
    """``crm.member_joined`` -> who the member is and where they live."""
    data = load(MEMBER_JOINED, event["data"])
    member = session.get(FulfillmentMember, data["member_id"])
    if member is None:
        member = FulfillmentMember(member_id=data["member_id"], tenant_id=event["tenant_id"])
        session.add(member)
    member.name, member.building, member.unit = data["name"], data["building"], data["unit"]


@inbox_consumer("services.fulfillment.handlers:record_wave_closed")
def record_wave_closed(session, event):
    """``catalog.wave_closed`` -> where and when the wave's orders are picked up."""
    copies.record_wave(session, event["tenant_id"], load(WAVE_CLOSED, event["data"]))


@inbox_consumer("services.fulfillment.handlers:record_community_created")
def record_community_created(session, event):
    """``crm.community_created`` -> the community's name on its packing slips."""
    data = load(COMMUNITY_CREATED, event["data"])
    community = session.get(FulfillmentCommunity, event["tenant_id"])
    if community is None:
        community = FulfillmentCommunity(tenant_id=event["tenant_id"])
        session.add(community)
    community.name, community.timezone = data["name"], data["timezone"]


# --- queries ---------------------------------------------------------------------------------


def get_fulfillment(session, caller, order_id):
    record = get_in_community(
        session,
        FulfillmentOrder,
        order_id,
        caller.require_tenant(),
        "No such order in fulfilment.",
        "order_id",
        member_id=caller.member_scope,
    )
    return {
        "order_id": record.order_id,
        "status": record.status,
        "items": record.items,
        "total_quantity": record.total_quantity,
    }


def paid_orders_of_wave(session, tenant_id, wave_id):
    """The wave's paid, not cancelled orders in the community, oldest first."""
    return session.scalars(
        select(FulfillmentOrder)
        .where(
            FulfillmentOrder.tenant_id == tenant_id,
            FulfillmentOrder.channel_type == "wave",
            FulfillmentOrder.channel_id == wave_id,
            FulfillmentOrder.status.in_(STEPS),
        )
        .order_by(FulfillmentOrder.created_at, FulfillmentOrder.order_id)
    ).all()


# --- moving a wave ---------------------------------------------------------------------------

# Two movers drawing the same pickup code: the whole move is tried again.
in_transaction = partial(infra_db.in_transaction, attempts=ATTEMPTS)


def move_wave(session, caller, owner_orders, catalog, wave_id, payload):
    """Move every paid order of a wave one step to ``status`` (packed|delivering|ready_for_pickup).

    Orders already there or past it stay; an order two steps behind refuses the whole move
    (409 ``wrong_state``): nothing skips a step. Each moved order emits its event. A wave
    fulfilment knows no paid order of is asked of orders, and ready for pickup needs the wave
    closed, asked of catalog when fulfilment has not heard so yet (``copies``).
    """
    caller.require_staff()
    status = load(MOVE_WAVE_INPUT, payload)["status"]
    wave_id = wave_id if isinstance(wave_id, str) and len(wave_id) <= 32 else None
    orders = paid_orders_of_wave(session, caller.tenant_id, wave_id) if wave_id else []
    if (
        not orders
        and wave_id
        and copies.record_paid_orders(session, owner_orders, caller.tenant_id, {"wave_id": wave_id})
    ):
        orders = paid_orders_of_wave(session, caller.tenant_id, wave_id)
    if not orders:
        raise NotFound("No paid orders in such a wave.", {"wave_id": wave_id})
    to_move = orders_to_move(orders, status, "wave")
    pickup = None
    if status == "ready_for_pickup":
        pickup = _wave_pickup(session, catalog, caller.tenant_id, wave_id)
        if pickup is None:
            raise _wave_not_closed(wave_id)
    taken = _open_codes(session, caller.tenant_id) if pickup is not None else set()
    now = utcnow()
    moved = sum(_step(session, caller, order, status, now, pickup, taken) for order in to_move)
    session.flush()  # the unique constraint speaks now, inside the retry
    return {"wave_id": wave_id, "status": status, "moved": moved}


def orders_to_move(orders, status, group):
    """The orders of a group (wave, batch) one step before ``status``; those already there or
    past it stay. One further behind refuses the whole move (409 ``wrong_state``)."""
    target = STEPS.index(status)
    behind = [order for order in orders if STEPS.index(order.status) < target - 1]
    if behind:
        raise Conflict(
            f"Orders of this {group} must be {STEPS[target - 1]} before they can become {status}.",
            {
                "reason": "wrong_state",
                "from": behind[0].status,
                "to": status,
                "orders": len(behind),
            },
        )
    return [order for order in orders if STEPS.index(order.status) == target - 1]


def _wave_pickup(session, catalog, tenant_id, wave_id):
    """(point, at) of a closed wave of the community, or None."""
    wave = copies.closed_wave(session, catalog, tenant_id, wave_id)
    return (wave.pickup_point, wave.pickup_at) if wave is not None else None


def _wave_not_closed(wave_id):
    return Conflict(
        "The wave must be closed before its orders are ready for pickup.",
        {"reason": "wave_not_closed", "wave_id": wave_id},
    )


def _step(session, caller, order, status, now, pickup=None, taken=None):
    """Move one order to ``status`` and emit its event: the wave move and the single move
    share it. Ready for pickup draws a pickup code not in ``taken`` for ``pickup`` (point, at).

    The move is a compare-and-set from the status this transaction read: an order cancelled
    (or moved by another leader) meanwhile is left as it is and answers False, with no event."""
    moved = compare_and_set(
        session,
        FulfillmentOrder,
        (
            FulfillmentOrder.tenant_id == order.tenant_id,
            FulfillmentOrder.order_id == order.order_id,
            FulfillmentOrder.status == order.status,
        ),
        {"status": status},
    )
    if not moved:
        session.refresh(order)
        return False
    order.status = status
    data = {"order_id": order.order_id, "member_id": order.member_id, "at": now.isoformat()}
    if status == "ready_for_pickup":
        point, at = pickup
        code = new_pickup_code(taken)
        taken.add(code)
        order.pickup_code = order.open_pickup_code = code
        order.pickup_point, order.pickup_at, order.ready_at = point, at, now
        order.collectable_at = max(now, at)
        data["pickup"] = {"code": code, "point": point, "at": at.isoformat()}
    emit(
        session,
        events.MOVE_EVENTS[status],
        data,
        tenant_id=caller.tenant_id,
        correlation_id=caller.correlation_id,
    )
    return True


def move_order(session, caller, orders, catalog, order_id, payload):
    """Move one paid order one step (packed|delivering|ready_for_pickup), by the wave move's
    rules: nothing skips a step (409 ``wrong_state``), asking for the step it is at changes
    nothing (``moved`` false). Ready for pickup takes the wave's pickup point and time; an
    order outside a wave needs ``pickup_point`` in the body (422 without), and the body's
    point, when given, is this order's even in a wave (delivered to another door). An order or a
    wave fulfilment has not heard of yet is asked of orders or catalog (``copies``)."""
    caller.require_staff()
    data = load(MOVE_ORDER_INPUT, payload)
    status = data["status"]
    order = copies.known_order(session, orders, caller.require_tenant(), order_id)
    if order is None:
        raise NotFound("No such order in fulfilment.", {"order_id": order_id})
    # Locked: the order's own events (a cancel) and another leader's move wait for this one.
    session.refresh(order, with_for_update=True)
    target = STEPS.index(status)
    at = STEPS.index(order.status) if order.status in STEPS else None
    if at == target:
        return _moved(order, False)
    if (
        at is not None
        and at == target - 1
        and status != "ready_for_pickup"
        and (data.get("pickup_point") or "").strip()
    ):
        # An order outside a wave keeps the point named on its first moves: its batch's point.
        order.pickup_point = data["pickup_point"].strip()
    if at is None or at != target - 1:
        raise Conflict(
            f"An order that is {order.status} cannot become {status}.",
            {"reason": "wrong_state", "from": order.status, "to": status},
        )
    pickup = None
    now = utcnow()
    if status == "ready_for_pickup":
        point = (data.get("pickup_point") or "").strip()
        if point:
            pickup = (point, data["pickup_at"] or now)
        elif order.channel_type == "wave":
            pickup = _wave_pickup(session, catalog, caller.tenant_id, order.channel_id)
            if pickup is None:
                raise _wave_not_closed(order.channel_id)
        else:
            raise invalid(
                {"pickup_point": ["Required: this order has no wave to say where it is picked up."]}
            )
    _step(
        session,
        caller,
        order,
        status,
        now,
        pickup,
        _open_codes(session, caller.tenant_id) if pickup else None,
    )
    session.flush()  # the unique constraint speaks now, inside the retry
    return _moved(order, True)


def _moved(order, moved):
    pickup = (
        {
            "code": order.open_pickup_code,
            "point": order.pickup_point,
            "at": order.pickup_at.isoformat(),
        }
        if order.open_pickup_code
        else None
    )
    return {"order_id": order.order_id, "status": order.status, "moved": moved, "pickup": pickup}


def _open_codes(session, tenant_id):
    return set(
        session.scalars(
            select(FulfillmentOrder.open_pickup_code).where(
                FulfillmentOrder.tenant_id == tenant_id,
                FulfillmentOrder.open_pickup_code.is_not(None),
            )
        )
    )


def new_pickup_code(taken):
    """Six random digits not among ``taken``; unguessable from any other code."""
    for _ in range(MAX_CODE_TRIES):
        code = f"{secrets.randbelow(CODE_SPACE):06d}"
        if code not in taken:
            return code
    raise Conflict(
        "No free pickup code; complete some pickups first.", {"reason": "codes_exhausted"}
    )


# --- pickup ----------------------------------------------------------------------------------


def verify_pickup(session, caller, payload):
    """The leader enters a member's pickup code: the order is handed over (picked_up).

    Manages its own transactions: a wrong code is recorded (and committed) before the 404, so
    guessing is rate limited per community. A wrong code reveals nothing; a used one is 409.
    """
    caller.require_staff()
    code = load(VERIFY_PICKUP_INPUT, payload)["code"]
    tenant_id = caller.tenant_id
    with session.begin():
        since = utcnow() - FAILURE_WINDOW
        failures = session.scalar(
            select(func.count(PickupVerificationFailure.id)).where(
                PickupVerificationFailure.tenant_id == tenant_id,
                PickupVerificationFailure.at > since,
            )
        )
        if failures >= MAX_FAILURES:
            raise RateLimited(
                "Too many wrong pickup codes; wait a minute and try again.",
                {"retry_after_seconds": int(FAILURE_WINDOW.total_seconds())},
            )
        order = session.scalars(
            select(FulfillmentOrder).where(
                FulfillmentOrder.tenant_id == tenant_id, FulfillmentOrder.open_pickup_code == code
            )
        ).first()
        if order is not None and order.status == "ready_for_pickup":
            return _hand_over(session, caller, order, code)
        used = session.scalars(
            select(FulfillmentOrder).where(
                FulfillmentOrder.tenant_id == tenant_id,
                FulfillmentOrder.pickup_code == code,
                FulfillmentOrder.status == "picked_up",
            )
        ).first()
        if used is not None:
            raise Conflict(
                "This pickup code was already used.",
                {"reason": "already_picked_up", "order_id": used.order_id},
            )
        session.execute(
            delete(PickupVerificationFailure).where(
                PickupVerificationFailure.tenant_id == tenant_id,
                PickupVerificationFailure.at <= since,
            )
        )
        session.add(PickupVerificationFailure(tenant_id=tenant_id))
    raise NotFound("No order is waiting for this pickup code.")


def _hand_over(session, caller, order, code):
    """The order handed over, once: a compare-and-set on its open code, so of two leaders (or
    two processes) entering the same code at once one hands the order over and announces it;
    the other is told the code was used (or, if the order was cancelled meanwhile, that no
    order waits for it)."""
    now = utcnow()
    if not compare_and_set(
        session,
        FulfillmentOrder,
        (
            FulfillmentOrder.order_id == order.order_id,
            FulfillmentOrder.status == "ready_for_pickup",
            FulfillmentOrder.open_pickup_code == code,
        ),
        {"status": "picked_up", "open_pickup_code": None, "picked_up_at": now},
    ):
        session.refresh(order)
        if order.status == "picked_up":
            raise Conflict(
                "This pickup code was already used.",
                {"reason": "already_picked_up", "order_id": order.order_id},
            )
        raise NotFound("No order is waiting for this pickup code.")
    session.refresh(order)
    emit(
        session,
        events.ORDER_PICKED_UP,
        {"order_id": order.order_id, "member_id": order.member_id, "at": now.isoformat()},
        tenant_id=caller.tenant_id,
        correlation_id=caller.correlation_id,
    )
    member = session.get(FulfillmentMember, order.member_id)
    return {
        "order_id": order.order_id,
        "member": {
            "name": member.name if member else "",
            "building": member.building if member else "",
            "unit": member.unit if member else "",
        },
        "items": order.items,
    }


# --- pickup reminder (取货提醒) ----------------------------------------------------------------

REMINDER_BATCH = 200
PICKUP_REMINDER_AFTER_HOURS = 24  # config/fulfillment.yaml; a community setting later


def positive_or(configured, default):
    """A configured duration (hours, days) as a number, or ``default`` when it is unset or not a
    positive number: a typo in config/fulfillment.yaml must not stop the service."""
    try:
        value = float(configured)
    except (TypeError, ValueError):
        return default
    return value if value > 0 else default


def reminder_hours(configured):
    return positive_or(configured, PICKUP_REMINDER_AFTER_HOURS)


def remind_overdue_pickups(session, after_hours, now=None, limit=REMINDER_BATCH):
    """Orders still waiting at the pickup point ``after_hours`` after they could first be
    collected get one ``order_pickup_overdue`` each (crm files the reminder).

    Every community at once (a timer's work). The conditional UPDATE on ``reminded_at`` makes
    a second fulfilment process a no-op for an order the first one has reminded. Returns the
    reminded order ids.
    """
    now = now or utcnow()
    due = session.scalars(
        select(FulfillmentOrder)
        .where(
            FulfillmentOrder.status == "ready_for_pickup",
            FulfillmentOrder.reminded_at.is_(None),
            FulfillmentOrder.collectable_at <= now - timedelta(hours=after_hours),
        )
        .order_by(FulfillmentOrder.collectable_at, FulfillmentOrder.order_id)
        .limit(limit)
    ).all()
    reminded = []
    for order in due:
        claimed = (
            session.execute(
                update(FulfillmentOrder)
                .where(
                    FulfillmentOrder.order_id == order.order_id,
                    FulfillmentOrder.reminded_at.is_(None),
                    FulfillmentOrder.status == "ready_for_pickup",
                )
                .values(reminded_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            == 1
        )
        if not claimed:
            continue
        emit(
            session,
            events.ORDER_PICKUP_OVERDUE,
            {
                "order_id": order.order_id,
                "member_id": order.member_id,
                "pickup_code": order.open_pickup_code,
                "pickup_point": order.pickup_point,
                "ready_at": order.ready_at.isoformat(),
                "items": [
                    {"name": item["name"], "quantity": item["quantity"]} for item in order.items
                ],
            },
            tenant_id=order.tenant_id,
        )
        reminded.append(order.order_id)
    return reminded
