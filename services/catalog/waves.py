"""Group-buy waves (团期): a leader offers products until a cut-off, members pick up together.

Use cases are plain functions over a session, like ``handlers``. ``reserve_stock`` in
``handlers`` calls ``reserve_line`` / ``release_line`` here for an order placed in a wave.
"""

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from services.catalog import events
from services.catalog.models import ChannelPurchase, Product, Wave, WaveItem
from services.catalog.schemas import WAVE, WaveInput, WaveQuery
from services.infra.db import get_in_community, newest_first, utcnow
from services.infra.errors import Conflict, Forbidden, invalid
from services.infra.messaging import emit
from services.infra.schemas import decode_cursor, load, page

WAVE_INPUT = WaveInput()
WAVE_QUERY = WaveQuery()
CHANNEL = "wave"


def _wave(session, tenant_id, wave_id, **options):
    return get_in_community(session, Wave, wave_id, tenant_id, "No such wave in this community.", "wave_id",
                            **options)


def _dump(session, waves):
    """Waves with their items (name from the product, what is left of the quota)."""
    waves = list(waves)
    rows = session.execute(
        select(WaveItem, Product.name, Product.unit)
        .join(Product, Product.id == WaveItem.product_id)
        .where(WaveItem.wave_id.in_([wave.id for wave in waves]))
        .order_by(WaveItem.position)
    ).all() if waves else []
    items = {wave.id: [] for wave in waves}
    for item, name, unit in rows:
        items[item.wave_id].append({
            "product_id": item.product_id, "name": name, "unit": unit,
            "price_cents": item.price_cents, "quota": item.quota, "sold": item.sold,
            "remaining": None if item.quota is None else max(item.quota - item.sold, 0),
            "per_member_limit": item.per_member_limit,
        })
    return [WAVE.dump({**_fields(wave), "items": items[wave.id]}) for wave in waves]


def _fields(wave):
    return {name: getattr(wave, name) for name in (
        "id", "title", "cutoff_at", "pickup_at", "pickup_point", "packing_note", "status",
        "closed_at", "created_at")}


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
    item_errors, seen = {}, set()
    product_ids = [item["product_id"] for item in data["items"]]
    ours = set(session.scalars(
        select(Product.id).where(Product.tenant_id == caller.tenant_id, Product.id.in_(product_ids))
    ))
    for index, product_id in enumerate(product_ids):
        if product_id in seen:
            item_errors[index] = {"product_id": ["This product is already in the wave."]}
        elif product_id not in ours:
            item_errors[index] = {"product_id": ["No such product in this community."]}
        seen.add(product_id)
    if item_errors:
        errors["items"] = item_errors
    if errors:
        raise invalid(errors)

    items = data.pop("items")
    wave = Wave(tenant_id=caller.tenant_id, status="open", **data)
    session.add(wave)
    session.flush()
    session.add_all(WaveItem(wave_id=wave.id, position=index, sold=0, **item) for index, item in enumerate(items))
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
    result = session.execute(
        update(Wave)
        .where(Wave.id == wave.id, Wave.status == "open")
        .values(status="closed", closed_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(wave)
    if result.rowcount != 1:
        return False
    emit(
        session,
        events.WAVE_CLOSED,
        {"wave_id": wave.id, "title": wave.title, "pickup_at": wave.pickup_at.isoformat(),
         "pickup_point": wave.pickup_point, "closed_at": wave.closed_at.isoformat(),
         "packing_note": wave.packing_note or "",
         "units": {item["product_id"]: item["unit"] for item in _dump(session, [wave])[0]["items"]}},
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
    """Close every open wave whose cut-off has passed (every community). Returns their ids."""
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
        raise Conflict("This wave no longer takes orders.", {"wave_id": wave.id, "reason": "wave_closed"})
    return wave


def reserve_line(session, tenant_id, wave, member_id, product_id, quantity):
    """Take ``quantity`` of a wave item: its quota, then the member's limit. Returns the item.

    Both are conditional UPDATEs, so concurrent orders cannot oversell the quota or pass the
    limit; a refusal raises ``Conflict`` and the caller's transaction rolls everything back.
    """
    item = session.scalars(
        select(WaveItem).where(WaveItem.wave_id == wave.id, WaveItem.product_id == product_id)
    ).first()
    if item is None:
        raise Conflict("This product is not offered in this wave.",
                       {"product_id": product_id, "wave_id": wave.id, "reason": "not_in_channel"})
    taken = WaveItem.sold + quantity
    statement = update(WaveItem).where(WaveItem.id == item.id)
    if item.quota is not None:
        statement = statement.where(taken <= WaveItem.quota)
    if session.execute(
        statement.values(sold=taken).execution_options(synchronize_session=False)
    ).rowcount != 1:
        session.refresh(item)
        raise Conflict(
            "The wave's quota of this product is exhausted.",
            {"product_id": product_id, "reason": "quota_exhausted",
             "available": max(item.quota - item.sold, 0), "requested": quantity},
        )
    if member_id is not None:
        _count_purchase(session, tenant_id, wave.id, item, member_id, quantity)
    elif item.per_member_limit is not None:
        raise Forbidden("Only a member may buy a product with a per-member limit.")
    return item


def _count_purchase(session, tenant_id, wave_id, item, member_id, quantity):
    keys = {"tenant_id": tenant_id, "channel_type": CHANNEL, "channel_id": wave_id,
            "product_id": item.product_id, "member_id": member_id}
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        dialect.insert(ChannelPurchase).values(**keys, quantity=0).on_conflict_do_nothing(
            index_elements=list(keys))
    )
    where = [getattr(ChannelPurchase, name) == value for name, value in keys.items()]
    statement = update(ChannelPurchase).where(*where)
    if item.per_member_limit is not None:
        statement = statement.where(ChannelPurchase.quantity + quantity <= item.per_member_limit)
    result = session.execute(
        statement.values(quantity=ChannelPurchase.quantity + quantity)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        already = session.scalar(select(ChannelPurchase.quantity).where(*where))
        raise Conflict(
            "You have reached this wave's limit for this product.",
            {"product_id": item.product_id, "reason": "limit_reached", "limit": item.per_member_limit,
             "already": already, "requested": quantity},
        )


def release_line(session, tenant_id, wave_id, member_id, product_id, quantity):
    """Give a cancelled order's quantity back to the wave's quota and the member's counter."""
    session.execute(
        update(WaveItem)
        .where(WaveItem.wave_id == wave_id, WaveItem.product_id == product_id, WaveItem.sold >= quantity)
        .values(sold=WaveItem.sold - quantity)
        .execution_options(synchronize_session=False)
    )
    if member_id is not None:
        session.execute(
            update(ChannelPurchase)
            .where(ChannelPurchase.tenant_id == tenant_id, ChannelPurchase.channel_type == CHANNEL,
                   ChannelPurchase.channel_id == wave_id, ChannelPurchase.product_id == product_id,
                   ChannelPurchase.member_id == member_id, ChannelPurchase.quantity >= quantity)
            .values(quantity=ChannelPurchase.quantity - quantity)
            .execution_options(synchronize_session=False)
        )
