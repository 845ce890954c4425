"""Group-buy waves (团期): a leader offers products until a cut-off, members pick up together.

Use cases are plain functions over a session, like ``handlers``. ``reserve_stock`` in
``handlers`` checks ``open_wave`` and takes each line through ``channels`` with ``CHANNEL``.
"""

from sqlalchemy import select

from services.catalog import channels, events
from services.catalog.channels import ChannelKind
from services.catalog.models import Product, Wave, WaveItem
from services.catalog.schemas import WAVE, WAVE_INPUT, WAVE_QUERY
from services.infra.db import compare_and_set, get_in_community, newest_first, utcnow
from services.infra.errors import Conflict, invalid
from services.infra.messaging import emit
from services.infra.schemas import decode_cursor, load, page

CHANNEL = ChannelKind(type="wave", item=WaveItem, owner="wave_id", noun="wave")


def _wave(session, tenant_id, wave_id, **options):
    return get_in_community(
        session, Wave, wave_id, tenant_id, "No such wave in this community.", "wave_id", **options
    )


def _dump(session, waves):
    """Waves with their items (name from the product, what is left of the quota)."""
    waves = list(waves)
    rows = (
        session.execute(
            select(WaveItem, Product.name, Product.unit)
            .join(Product, Product.id == WaveItem.product_id)
            .where(WaveItem.wave_id.in_([wave.id for wave in waves]))
            .order_by(WaveItem.position)
        ).all()
        if waves
        else []
    )
    items = {wave.id: [] for wave in waves}
    for item, name, unit in rows:
        items[item.wave_id].append(
            {
                "product_id": item.product_id,
                "name": name,
                "unit": unit,
                "price_cents": item.price_cents,
                "quota": item.quota,
                "sold": item.sold,
                "remaining": None if item.quota is None else max(item.quota - item.sold, 0),
                "per_member_limit": item.per_member_limit,
            }
        )
    return [WAVE.dump({**_fields(wave), "items": items[wave.id]}) for wave in waves]


def _fields(wave):
    return {
        name: getattr(wave, name)
        for name in (
            "id",
            "title",
            "cutoff_at",
            "pickup_at",
            "pickup_point",
            "packing_note",
            "status",
            "closed_at",
            "created_at",
        )
    }


def create_wave(session, caller, payload, now=None):
    """A leader opens a wave. Every rule is checked before anything is written."""
    caller.require_staff()
    data = load(WAVE_INPUT, payload)
    now = now or utcnow()
    errors = {}
    if data["cutoff_at"] <= now:
        errors["cutoff_at"] = ["The cut-off must be in the future."]
    if data["pickup_at"] <= data["cutoff_at"]:
        errors["pickup_at"] = ["Pickup must come after the cut-off."]
    item_errors = channels.item_errors(session, CHANNEL, caller.tenant_id, data["items"])
    if item_errors:
        errors["items"] = item_errors
    if errors:
        raise invalid(errors)

    items = data.pop("items")
    wave = Wave(tenant_id=caller.tenant_id, status="open", **data)
    session.add(wave)
    session.flush()
    session.add_all(
        WaveItem(wave_id=wave.id, position=index, sold=0, **item)
        for index, item in enumerate(items)
    )
    session.flush()
    return _dump(session, [wave])[0]


def get_wave(session, caller, wave_id):
    return _dump(session, [_wave(session, caller.require_tenant(), wave_id)])[0]


def list_waves(session, caller, query):
    params = load(WAVE_QUERY, query)
    statement = select(Wave).where(Wave.tenant_id == caller.require_tenant())
    if params["status"]:
        statement = statement.where(Wave.status == params["status"])
    statement = newest_first(statement, Wave, decode_cursor(params["cursor"]), params["limit"])
    return page(_dump(session, session.scalars(statement)), params["limit"])


def _close(session, wave, now, correlation_id=None):
    """Close ``wave`` once; True if this call closed it. The conditional UPDATE makes a
    concurrent closer (the timer, the leader) a no-op, so ``wave_closed`` is emitted once."""
    closed = compare_and_set(
        session,
        Wave,
        (Wave.id == wave.id, Wave.status == "open"),
        {"status": "closed", "closed_at": now},
    )
    session.refresh(wave)
    if not closed:
        return False
    emit(
        session,
        events.WAVE_CLOSED,
        {
            "wave_id": wave.id,
            "title": wave.title,
            "pickup_at": wave.pickup_at.isoformat(),
            "pickup_point": wave.pickup_point,
            "closed_at": wave.closed_at.isoformat(),
            "packing_note": wave.packing_note or "",
            "units": {
                item["product_id"]: item["unit"] for item in _dump(session, [wave])[0]["items"]
            },
        },
        tenant_id=wave.tenant_id,
        correlation_id=correlation_id,
    )
    return True


def close_wave(session, caller, wave_id, now=None):
    """The leader closes a wave early. Closing a closed wave answers it as it is."""
    caller.require_staff()
    wave = _wave(session, caller.tenant_id, wave_id)
    _close(session, wave, now or utcnow(), caller.correlation_id)
    return _dump(session, [wave])[0]


def close_due_waves(session, now=None):
    """Close every open wave whose cut-off has passed (every community). Returns their ids.
    The timer runs in every catalog process: ``_close``'s compare-and-set decides, so
    ``wave_closed`` goes out once per wave. (Not ``SKIP LOCKED``: orders in flight hold a
    shared lock on their wave, and closing must wait for them, not skip the wave.)"""
    now = now or utcnow()
    due = session.scalars(select(Wave).where(Wave.status == "open", Wave.cutoff_at <= now)).all()
    return [wave.id for wave in due if _close(session, wave, now)]


def open_wave(session, tenant_id, wave_id, now=None):
    """The wave an order is placed in: it must still take orders.

    A shared row lock (PostgreSQL; SQLite serialises writers anyway) makes closing wait for
    reservations in flight, so no order slips into a wave after its ``wave_closed``.
    """
    wave = _wave(session, tenant_id, wave_id, with_for_update={"read": True})
    if wave.status != "open" or wave.cutoff_at <= (now or utcnow()):
        raise Conflict(
            "This wave no longer takes orders.", {"wave_id": wave.id, "reason": "wave_closed"}
        )
    return wave
