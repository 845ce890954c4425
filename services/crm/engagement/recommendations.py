"""Recommendations for a member (为你推荐), from the community's paid orders of the last
``WINDOW_DAYS`` (crm's purchase read model) and its product read model:

* ``bought_together``: products in the same orders as what the member bought (co-occurrence
  among the community's members), scored by how many orders hold both;
* ``upgrade``: a dearer product of the same category as one the member buys (up to
  ``UPGRADE_MAX_RATIO`` times its price: the next step up, not the luxury shelf);
* ``popular``: the community's most bought products this week (units).

Never a product the member bought (ordered, not cancelled) in the last ``RECENT_DAYS`` days,
never one out of stock or off sale (catalog's ``product_updated`` says so on the transitions),
never one crm does not know. Each product once, with its best reason, ``LIMIT`` at most.
"""

from collections import Counter, defaultdict
from datetime import timedelta

from sqlalchemy import select

from services.crm.members.models import ProductInfo, Purchase
from services.crm.members.tags import field_of
from services.infra.db import utcnow

WINDOW_DAYS = 90
RECENT_DAYS = 7
POPULAR_DAYS = 7
UPGRADE_MAX_RATIO = 3
LIMIT = 10
PAID = "paid"


def _ids(lines):
    return {
        line.get("product_id")
        for line in lines or ()
        if isinstance(line, dict) and line.get("product_id")
    }


def recommend(member_id, purchases, products, now, limit=LIMIT):
    """Pure: ``purchases`` are the community's rows/dicts (``member_id``, ``status``,
    ``placed_at``, ``lines``); ``products`` maps an id to ``{name, category, price_cents,
    in_stock, on_sale}``. Returns ``[{product_id, name, reason, score}]``."""
    mine, recent = Counter(), set()
    together, popular = Counter(), Counter()
    orders = []
    for purchase in purchases:
        status, at, ids = (
            field_of(purchase, "status"),
            field_of(purchase, "placed_at"),
            _ids(field_of(purchase, "lines")),
        )
        if field_of(purchase, "member_id") == member_id:
            if status not in ("cancelled", "refunded") and at >= now - timedelta(days=RECENT_DAYS):
                recent |= ids
            if status == PAID:
                mine.update(ids)
        if status != PAID:
            continue
        orders.append(ids)
        if at >= now - timedelta(days=POPULAR_DAYS):
            for line in field_of(purchase, "lines") or ():
                if isinstance(line, dict) and line.get("product_id"):
                    popular[line["product_id"]] += max(int(line.get("quantity") or 0), 0)
    for ids in orders:
        if ids & mine.keys():
            for other in ids - mine.keys():
                together[other] += len(ids & mine.keys())

    def buyable(product_id):
        product = products.get(product_id)
        return (
            product is not None
            and product.get("in_stock", True)
            and product.get("on_sale", True)
            and product_id not in recent
        )

    found = {}

    def offer(product_id, reason, score):
        if buyable(product_id) and product_id not in found:
            found[product_id] = {
                "product_id": product_id,
                "name": products[product_id].get("name") or "",
                "reason": reason,
                "score": score,
            }

    for product_id, count in together.most_common():
        offer(product_id, "bought_together", count)
    by_category = defaultdict(list)
    for product_id, product in products.items():
        if product.get("category") and product.get("price_cents"):
            by_category[product["category"]].append((product["price_cents"], product_id))
    for product_id, count in mine.most_common():
        base = products.get(product_id) or {}
        price = base.get("price_cents")
        if not base.get("category") or not price:
            continue
        for other_price, other in sorted(by_category[base["category"]]):
            if price < other_price <= price * UPGRADE_MAX_RATIO and other not in mine:
                offer(other, "upgrade", count)
                break
    for product_id, units in popular.most_common():
        offer(product_id, "popular", units)
    order = {"bought_together": 0, "upgrade": 1, "popular": 2}
    ranked = sorted(
        found.values(), key=lambda r: (order[r["reason"]], -r["score"], r["product_id"])
    )
    return ranked[:limit]


def my_recommendations(session, caller):
    caller.require_member()
    now = utcnow()
    purchases = (
        session.execute(
            select(Purchase.member_id, Purchase.status, Purchase.placed_at, Purchase.lines).where(
                Purchase.tenant_id == caller.tenant_id,
                Purchase.placed_at >= now - timedelta(days=WINDOW_DAYS),
            )
        )
        .mappings()
        .all()
    )
    products = {
        row.product_id: {
            "name": row.name,
            "category": row.category,
            "price_cents": row.price_cents,
            "in_stock": row.in_stock,
            "on_sale": row.on_sale,
        }
        for row in session.scalars(
            select(ProductInfo).where(ProductInfo.tenant_id == caller.tenant_id)
        )
    }
    return {"items": recommend(caller.member_id, purchases, products, now)}
