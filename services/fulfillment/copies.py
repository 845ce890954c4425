"""Fulfilment's copies of what other services own, and what a command does when a copy is behind.

Fulfilment keeps its own copy of the facts it works from: the orders to pack (from orders'
``order_paid``, ``order_cancelled``, ``order_refunded``) and where and when a closed wave's orders
are picked up (from catalog's ``wave_closed``). Events come a moment after the change that
caused them, so a leader who marks an order paid, or closes a wave, and at once moves it on would
be refused (404 "no such order", 409 ``wave_not_closed``) by a copy that has not heard yet.

A command never refuses on a missing copy alone: it asks the owner (orders, catalog) by RPC, as
the caller, so the answer is scoped to the caller's community. The owner's answer wins; when it
says yes, it is recorded here exactly as the event would have recorded it (the event, when it
comes, finds the row and changes nothing), and the command goes on. When the owner says no, the
command is refused for the same reason as before. A copy that has the fact is never asked about:
the RPC is paid only on a miss. An owner that cannot answer in time makes the command a 503 (try
again), not a refusal it did not give.

What counts as a miss: an order fulfilment has no row of (or one known only from a refund that
overtook its payment); a wave it has not heard closed; a wave or a day's batch it knows no paid
order of. A wave or batch it knows some orders of is taken as it is: an order paid a moment ago
that it hears of later is moved by the next move (asking orders on every wave move would make
the RPC the fast path).
"""

from sqlalchemy.exc import IntegrityError

from services.fulfillment import events
from services.fulfillment.models import FulfillmentOrder, FulfillmentWave
from services.infra.db import utcnow
from services.infra.schemas import load

ORDER_PAID = events.OrderPaidData()
WAVE_CLOSED = events.WaveClosedData()


# --- recording, from an event or from the owner's answer -------------------------------------


def new_order(tenant_id, data):
    """An order of the community as fulfilment first sees it, from its facts
    (``OrderFactsData``)."""
    return FulfillmentOrder(
        order_id=data["order_id"],
        tenant_id=tenant_id,
        member_id=data["member_id"],
        channel_type=data["channel"]["type"],
        channel_id=data["channel"]["id"],
        items=[
            {"product_id": line["product_id"], "name": line["name"], "quantity": line["quantity"]}
            for line in data["lines"]
        ],
        total_quantity=sum(line["quantity"] for line in data["lines"]),
        total_cents=data["total_cents"],
        status="awaiting_payment",
    )


def record_wave(session, tenant_id, data):
    """Where and when a closed wave's orders are picked up (``WaveClosedData``)."""
    wave = session.get(FulfillmentWave, data["wave_id"])
    if wave is None:
        wave = FulfillmentWave(wave_id=data["wave_id"], tenant_id=tenant_id)
        session.add(wave)
    wave.title, wave.pickup_at, wave.pickup_point = (
        data["title"],
        data["pickup_at"],
        data["pickup_point"],
    )
    wave.packing_note, wave.units = data["packing_note"], data["units"]
    return wave


# --- asking the owner on a miss --------------------------------------------------------------


def closed_wave(session, catalog, tenant_id, wave_id):
    """The community's closed wave from fulfilment's copy, else from catalog (then recorded);
    ``None`` when catalog has no such wave in the community or it is still open."""
    wave = session.get(FulfillmentWave, wave_id) if wave_id else None
    if wave is not None:
        return wave if wave.tenant_id == tenant_id else None
    if not wave_id:
        return None
    answer = catalog.wave(wave_id)
    if answer is None or answer.get("status") != "closed":
        return None
    data = load(
        WAVE_CLOSED,
        {
            **answer,
            "wave_id": answer["id"],
            "packing_note": answer.get("packing_note") or "",
            "units": {item["product_id"]: item["unit"] for item in answer.get("items") or []},
        },
    )
    return _recorded(
        session, FulfillmentWave, wave_id, lambda: record_wave(session, tenant_id, data)
    )


def paid_at(answer):
    """When orders' answer says the order was paid (its timeline's first ``paid``)."""
    return next(
        (change["at"] for change in answer.get("timeline") or [] if change.get("status") == "paid"),
        None,
    )


def record_paid(session, tenant_id, answer):
    """orders' answer about a paid order, recorded as ``order_paid`` records it (``to_pack``):
    a new row, or one known only from a refund that overtook the payment (``awaiting_payment``).
    Any other row of fulfilment's is further along than the answer and stays as it is."""
    data = load(ORDER_PAID, {**answer, "order_id": answer["id"], "paid_at": paid_at(answer)})

    def record():
        order = session.get(FulfillmentOrder, data["order_id"])
        if order is None:
            order = new_order(tenant_id, data)
            session.add(order)
        elif order.tenant_id != tenant_id or order.status != "awaiting_payment":
            return
        order.status, order.paid_at = "to_pack", data["paid_at"] or utcnow()

    return _recorded(session, FulfillmentOrder, data["order_id"], record)


def known_order(session, orders, tenant_id, order_id):
    """The community's order from fulfilment's copy, else from orders when orders says it is paid
    (then recorded, ``record_paid``). The copy is behind when it has no such order, or knows it
    only from a refund that overtook ``order_paid`` (still ``awaiting_payment``). ``None`` when
    neither has such an order in the community."""
    order = session.get(FulfillmentOrder, order_id) if isinstance(order_id, str) else None
    if order is not None and (order.tenant_id != tenant_id or order.status != "awaiting_payment"):
        return order if order.tenant_id == tenant_id else None
    if not isinstance(order_id, str) or not order_id:
        return None
    answer = orders.order(order_id)
    if answer is None or answer.get("status") != "paid":
        return order  # unpaid, or cancelled or refunded since: as the copy says
    recorded = record_paid(session, tenant_id, answer)
    return recorded if recorded is not None and recorded.tenant_id == tenant_id else None


def record_paid_orders(session, orders, tenant_id, query):
    """A wave or a day's batch fulfilment knows no paid order of: the ones orders has paid and not
    yet packed (``query``: ``{"wave_id"}`` or ``{"paid_from", "paid_to"}``), recorded
    (``record_paid``). True if orders named any."""
    answers = orders.paid_orders_to_pack(query)
    for answer in answers:
        record_paid(session, tenant_id, answer)
    return bool(answers)


def _recorded(session, model, key, record):
    """Run ``record`` under a savepoint and answer the row: a concurrent command (or the event
    itself) that recorded the same row first wins, and this one answers that row."""
    try:
        with session.begin_nested():
            record()
            session.flush()
    except IntegrityError:
        pass
    return session.get(model, key)
