"""Selling channels (销售渠道): a group-buy wave or a live session offers products at its own
price, within a quota (限量) and a per-member limit (限购).

Both channels take and give back a line the same way; only the item table differs. A
``ChannelKind`` names it, and ``reserve_line`` / ``release_line`` work on any kind.
"""

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from services.catalog.models import ChannelPurchase, Product
from services.infra.errors import Conflict, Forbidden


@dataclass(frozen=True)
class ChannelKind:
    type: str  # ``StockReservation.channel_type`` and ``ChannelPurchase.channel_type``
    item: type  # the model of its items (price_cents, quota, per_member_limit, sold)
    owner: str  # the item's column holding the channel's id
    noun: str  # how messages name it

    def items_of(self, channel_id):
        return getattr(self.item, self.owner) == channel_id


def item_errors(session, kind, tenant_id, items):
    """``{index: {"product_id": [...]}}`` for items naming a product twice or a product that is
    not the community's (unknown and foreign look the same)."""
    errors, seen = {}, set()
    product_ids = [item["product_id"] for item in items]
    ours = set(
        session.scalars(
            select(Product.id).where(Product.tenant_id == tenant_id, Product.id.in_(product_ids))
        )
    )
    for index, product_id in enumerate(product_ids):
        if product_id in seen:
            errors[index] = {"product_id": [f"This product is already in the {kind.noun}."]}
        elif product_id not in ours:
            errors[index] = {"product_id": ["No such product in this community."]}
        seen.add(product_id)
    return errors


def reserve_line(session, kind, tenant_id, channel_id, member_id, product_id, quantity):
    """Take ``quantity`` of a channel's item: its quota, then the member's limit. Returns the item.

    Both are conditional UPDATEs, so concurrent orders cannot oversell the quota or pass the
    limit; a refusal raises ``Conflict`` and the caller's transaction rolls everything back.
    """
    item_model = kind.item
    item = session.scalars(
        select(item_model).where(kind.items_of(channel_id), item_model.product_id == product_id)
    ).first()
    if item is None:
        raise Conflict(
            f"This product is not offered in this {kind.noun}.",
            {"product_id": product_id, kind.owner: channel_id, "reason": "not_in_channel"},
        )
    taken = item_model.sold + quantity
    statement = update(item_model).where(item_model.id == item.id)
    if item.quota is not None:
        statement = statement.where(taken <= item_model.quota)
    if (
        session.execute(
            statement.values(sold=taken).execution_options(synchronize_session=False)
        ).rowcount
        != 1
    ):
        session.refresh(item)
        raise Conflict(
            f"The {kind.noun}'s quota of this product is exhausted.",
            {
                "product_id": product_id,
                "reason": "quota_exhausted",
                "available": max(item.quota - item.sold, 0),
                "requested": quantity,
            },
        )
    if member_id is not None:
        _count_purchase(session, kind, tenant_id, channel_id, item, member_id, quantity)
    elif item.per_member_limit is not None:
        raise Forbidden("Only a member may buy a product with a per-member limit.")
    return item


def _purchase_keys(kind, tenant_id, channel_id, product_id, member_id):
    return {
        "tenant_id": tenant_id,
        "channel_type": kind.type,
        "channel_id": channel_id,
        "product_id": product_id,
        "member_id": member_id,
    }


def _count_purchase(session, kind, tenant_id, channel_id, item, member_id, quantity):
    keys = _purchase_keys(kind, tenant_id, channel_id, item.product_id, member_id)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        dialect.insert(ChannelPurchase)
        .values(**keys, quantity=0)
        .on_conflict_do_nothing(index_elements=list(keys))
    )
    where = [getattr(ChannelPurchase, name) == value for name, value in keys.items()]
    statement = update(ChannelPurchase).where(*where)
    if item.per_member_limit is not None:
        statement = statement.where(ChannelPurchase.quantity + quantity <= item.per_member_limit)
    result = session.execute(
        statement.values(quantity=ChannelPurchase.quantity + quantity).execution_options(
            synchronize_session=False
        )
    )
    if result.rowcount != 1:
        already = session.scalar(select(ChannelPurchase.quantity).where(*where))
        raise Conflict(
            f"You have reached this {kind.noun}'s limit for this product.",
            {
                "product_id": item.product_id,
                "reason": "limit_reached",
                "limit": item.per_member_limit,
                "already": already,
                "requested": quantity,
            },
        )


def release_line(session, kind, tenant_id, channel_id, member_id, product_id, quantity):
    """Give a cancelled order's quantity back to the channel's quota and the member's counter."""
    item_model = kind.item
    session.execute(
        update(item_model)
        .where(
            kind.items_of(channel_id),
            item_model.product_id == product_id,
            item_model.sold >= quantity,
        )
        .values(sold=item_model.sold - quantity)
        .execution_options(synchronize_session=False)
    )
    if member_id is not None:
        keys = _purchase_keys(kind, tenant_id, channel_id, product_id, member_id)
        session.execute(
            update(ChannelPurchase)
            .where(
                *(getattr(ChannelPurchase, name) == value for name, value in keys.items()),
                ChannelPurchase.quantity >= quantity,
            )
            .values(quantity=ChannelPurchase.quantity - quantity)
            .execution_options(synchronize_session=False)
        )
