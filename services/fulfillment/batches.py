"""Batches outside waves (批次): paid orders from the shop or a live session, which no wave
gathers, form one batch per pickup point and day.

* The day is the community's calendar day (its time zone) on which the order was paid.
* The pickup point is the one named on the order's first move (``POST /orders/{id}/fulfillment``
  with ``pickup_point``, or a batch move); until then it is the community's default pickup point
  (``DEFAULT_PICKUP_POINT`` in config/fulfillment.yaml). A batch move writes its point on the
  orders it moves, so the point an order was first moved under stays its point.
* A batch moves like a wave: every order one step, nothing skips a step (409), orders already
  there stay; each moved order emits its event (the same ``_step`` as the wave and single moves).
* A batch fulfilment knows no paid order of, the moment after its payments, is asked of orders
  (``copies``): an order recorded so has no point of its own yet, so it is in the default batch.
"""

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from services.fulfillment import copies
from services.fulfillment.handlers import STEPS, _open_codes, _step, orders_to_move
from services.fulfillment.models import FulfillmentCommunity, FulfillmentOrder
from services.fulfillment.picking import by_product, natural
from services.fulfillment.schemas import BATCH_QUERY, MOVE_BATCH_INPUT
from services.infra.db import utcnow
from services.infra.errors import NotFound
from services.infra.periods import zone
from services.infra.schemas import load

DEFAULT_PICKUP_POINT = (
    "团长家"  # config/fulfillment.yaml: where an order outside a wave is collected
)


def default_point(configured):
    return (configured or "").strip() or DEFAULT_PICKUP_POINT


def _day(session, tenant_id, day):
    """[start, end) of the community's calendar day ``day``, in UTC."""
    community = session.get(FulfillmentCommunity, tenant_id)
    start = datetime.combine(day, time(), tzinfo=zone(community.timezone if community else None))
    return start, start + timedelta(days=1)


def _utc_day(session, tenant_id, day):
    """``_day`` in UTC, or None for a day no order was paid on (0001-01-01 east of UTC,
    9999-12-31)."""
    try:
        start, end = _day(session, tenant_id, day)
        return start.astimezone(UTC), end.astimezone(UTC)
    except OverflowError:
        return None


def orders_of_day(session, tenant_id, day):
    """The community's paid orders outside a wave paid on ``day``, oldest first."""
    bounds = _utc_day(session, tenant_id, day)
    if bounds is None:
        return []
    start, end = bounds
    return session.scalars(
        select(FulfillmentOrder)
        .where(
            FulfillmentOrder.tenant_id == tenant_id,
            FulfillmentOrder.channel_type != "wave",
            FulfillmentOrder.status.in_(STEPS),
            FulfillmentOrder.paid_at >= start,
            FulfillmentOrder.paid_at < end,
        )
        .order_by(FulfillmentOrder.paid_at, FulfillmentOrder.order_id)
    ).all()


def _point(order, fallback):
    return order.pickup_point or fallback


def list_batches(session, caller, query, configured_point=None):
    """The day's batches: per pickup point, its orders by step and what to pick."""
    caller.require_staff()
    day = load(BATCH_QUERY, query)["date"]
    fallback = default_point(configured_point)
    grouped = {}
    for order in orders_of_day(session, caller.tenant_id, day):
        grouped.setdefault(_point(order, fallback), []).append(order)
    return {
        "date": day.isoformat(),
        "batches": [
            {
                "pickup_point": point,
                "orders": len(orders),
                "total_quantity": sum(order.total_quantity for order in orders),
                "statuses": {
                    step: sum(1 for order in orders if order.status == step) for step in STEPS
                },
                "order_ids": [order.order_id for order in orders],
                "products": by_product(orders),
            }
            for point, orders in sorted(grouped.items(), key=lambda item: natural(item[0]))
        ],
    }


def move_batch(session, caller, owner_orders, payload, configured_point=None):
    """Move every paid order of one batch (day and pickup point) one step to ``status``."""
    caller.require_staff()
    data = load(MOVE_BATCH_INPUT, payload)
    point, status = data["pickup_point"].strip(), data["status"]
    fallback = default_point(configured_point)

    def batch():
        return [
            order
            for order in orders_of_day(session, caller.tenant_id, data["date"])
            if _point(order, fallback) == point
        ]

    orders = batch()
    bounds = _utc_day(session, caller.tenant_id, data["date"]) if not orders else None
    if bounds and copies.record_paid_orders(
        session,
        owner_orders,
        caller.tenant_id,
        {"paid_from": bounds[0].isoformat(), "paid_to": bounds[1].isoformat()},
    ):
        orders = batch()
    if not orders:
        raise NotFound(
            "No paid orders in such a batch.",
            {"date": data["date"].isoformat(), "pickup_point": point},
        )
    to_move = orders_to_move(orders, status, "batch")
    now = utcnow()
    pickup = (point, now) if status == "ready_for_pickup" else None
    taken = _open_codes(session, caller.tenant_id) if pickup else None
    moved = 0
    for order in to_move:
        if _step(session, caller, order, status, now, pickup, taken):
            order.pickup_point = point  # the batch's point is now the order's own
            moved += 1
    session.flush()  # the unique pickup code speaks now, inside the retry
    return {
        "date": data["date"].isoformat(),
        "pickup_point": point,
        "status": status,
        "moved": moved,
    }
