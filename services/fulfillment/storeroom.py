"""The leader's storeroom (现货): what is already on hand, so the supplier is asked only for the
rest.

The leader counts it; the gateway checks the product is the community's (catalog owns products)
before ``set_on_hand`` records the count.
"""

from sqlalchemy import select

from services.fulfillment.models import StockOnHand
from services.fulfillment.schemas import ON_HAND_INPUT
from services.infra.db import utcnow
from services.infra.schemas import load


def _view(row):
    return {
        "product_id": row.product_id,
        "quantity": row.quantity,
        "updated_at": row.updated_at.isoformat(),
    }


def set_on_hand(session, caller, product_id, payload):
    """The leader's count of a product in the storeroom replaces the previous one."""
    caller.require_staff()
    data = load(ON_HAND_INPUT, {**payload, "product_id": product_id})
    row = session.get(StockOnHand, (caller.tenant_id, data["product_id"]))
    if row is None:
        row = StockOnHand(tenant_id=caller.tenant_id, product_id=data["product_id"])
        session.add(row)
    row.quantity = data["quantity"]
    row.updated_at = utcnow()
    session.flush()
    return _view(row)


def list_on_hand(session, caller):
    """Every product with something on hand (one page: a storeroom holds at most the catalogue)."""
    caller.require_staff()
    rows = session.scalars(
        select(StockOnHand)
        .where(StockOnHand.tenant_id == caller.tenant_id, StockOnHand.quantity > 0)
        .order_by(StockOnHand.product_id)
    )
    return {"items": [_view(row) for row in rows], "next_cursor": None}


def on_hand(session, tenant_id, product_ids):
    """``{product_id: quantity}`` on hand of these products (0 when never counted)."""
    if not product_ids:
        return {}
    counted = dict(
        session.execute(
            select(StockOnHand.product_id, StockOnHand.quantity).where(
                StockOnHand.tenant_id == tenant_id, StockOnHand.product_id.in_(list(product_ids))
            )
        ).all()
    )
    return {product_id: counted.get(product_id, 0) for product_id in product_ids}
