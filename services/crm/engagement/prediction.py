"""Repurchase prediction (智能预测): when will a member need a product (or a category) again?

For each member and product, and each member and category, with at least two paid orders
(purchases on the same day count once: a top-up is not a new cycle), from the gaps between them:

* ``interval_days``: the median gap for two or three gaps; from three gaps on, the gaps within
  [median / 2, 2 x median] (a holiday or a forgotten week is trimmed away) averaged with linearly
  increasing weights, so a changed habit shows soon. One gap (two purchases) is taken as it is,
  with a low confidence.
* ``confidence`` (0..1) = n / (n + 2) x 1 / (1 + 2 x CV) x kept share, where n is the number of
  gaps, CV their coefficient of variation (dispersion) and kept share the part not trimmed: a
  weekly milk buyer with five regular gaps is ~0.6, two purchases are 0.33, an irregular buyer
  falls below ``REMINDER_MIN_CONFIDENCE`` and gets no reminder.
* ``next_due_at`` = the last purchase + interval.

``predict`` is a pure function over purchase rows (easy to test and to bench); the stored
``RepurchasePrediction`` rows are replaced when a member's purchases change (order paid,
cancelled, refunded) and by the daily timer (``refresh_community``, bulk).
"""

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import String, delete, select, type_coerce

from services.crm.engagement.models import RepurchasePrediction
from services.crm.members.models import ProductInfo, Purchase
from services.crm.members.tags import field_of

PAID = "paid"
SAME_CYCLE = timedelta(hours=20)  # two orders closer than this are one purchase (a top-up)
MIN_INTERVAL_DAYS = 1.0
TRIM_LOW, TRIM_HIGH = 0.5, 2.0
REMINDER_MIN_CONFIDENCE = 0.3


DAY_SECONDS = 86400.0


def _median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def estimate(times):
    """``{interval_days, confidence, purchases, last_purchase_at, next_due_at}`` from purchase
    instants (any order), or ``None`` with fewer than two distinct purchases."""
    cycles = []
    for moment in sorted(times):
        if cycles and moment - cycles[-1] < SAME_CYCLE:
            continue
        cycles.append(moment)
    if len(cycles) < 2:
        return None
    # Plain float arithmetic: statistics' exact fractions are far slower, and this runs per member.
    gaps = [
        (later - earlier).total_seconds() / DAY_SECONDS
        for earlier, later in zip(cycles, cycles[1:], strict=False)
    ]
    middle = _median(gaps)
    if len(gaps) < 3:
        interval, kept = middle, gaps
    else:
        kept = [gap for gap in gaps if TRIM_LOW * middle <= gap <= TRIM_HIGH * middle] or [middle]
        weights = range(1, len(kept) + 1)  # the most recent gaps weigh most
        interval = sum(w * gap for w, gap in zip(weights, kept, strict=True)) / sum(weights)
    interval = max(interval, MIN_INTERVAL_DAYS)
    average = sum(gaps) / len(gaps)
    deviation = (sum((gap - average) ** 2 for gap in gaps) / len(gaps)) ** 0.5
    cv = deviation / average if average > 0 else 0.0
    confidence = len(gaps) / (len(gaps) + 2) / (1 + 2 * cv) * (len(kept) / len(gaps))
    last = cycles[-1]
    return {
        "interval_days": round(interval, 1),
        "confidence": round(min(max(confidence, 0.0), 1.0), 2),
        "purchases": len(cycles),
        "last_purchase_at": last,
        "next_due_at": last + timedelta(days=interval),
    }


def predict(purchases, products=None):
    """Predictions of one member, by product then by category: ``purchases`` are rows or dicts
    with ``status``, ``placed_at`` and ``lines`` ([{product_id, name?, quantity}]); ``products``
    maps a product id to ``{"name", "category"}`` (unknown ones count only by product)."""
    products = products or {}
    by_product, by_category, names = defaultdict(list), defaultdict(list), {}
    for purchase in purchases:
        if field_of(purchase, "status") != PAID:
            continue
        at = field_of(purchase, "placed_at")
        categories = set()
        for line in field_of(purchase, "lines") or ():
            product_id = line.get("product_id") if isinstance(line, dict) else None
            if not product_id:
                continue
            by_product[product_id].append(at)
            known = products.get(product_id) or {}
            names[product_id] = known.get("name") or line.get("name") or names.get(product_id, "")
            if known.get("category"):
                categories.add(known["category"])
        for category in categories:
            by_category[category].append(at)
    found = []
    for product_id, times in by_product.items():
        estimate_ = estimate(times)
        if estimate_:
            found.append(
                {
                    "key": f"product:{product_id}"[:80],
                    "product_id": product_id,
                    "category": None,
                    "name": (names.get(product_id) or "")[:80],
                    **estimate_,
                }
            )
    for category, times in by_category.items():
        estimate_ = estimate(times)
        if estimate_:
            found.append(
                {
                    "key": f"category:{category}"[:80],
                    "product_id": None,
                    "category": category[:40],
                    "name": category[:80],
                    **estimate_,
                }
            )
    return found


# --- stored ----------------------------------------------------------------------------------


def _products(session, tenant_id, product_ids=None):
    statement = select(ProductInfo.product_id, ProductInfo.name, ProductInfo.category).where(
        ProductInfo.tenant_id == tenant_id
    )
    if product_ids is not None:
        statement = statement.where(ProductInfo.product_id.in_(sorted(product_ids)))
    rows = session.execute(statement)
    return {pid: {"name": name, "category": category} for pid, name, category in rows}


def _rows(tenant_id, member_id, predictions):
    return [{"member_id": member_id, "tenant_id": tenant_id, **p} for p in predictions]


TABLE = RepurchasePrediction.__table__


def refresh_member(session, tenant_id, member_id, products=None):
    """Replace one member's predictions (their purchases changed)."""
    purchases = session.execute(
        select(Purchase.status, Purchase.placed_at, Purchase.lines).where(
            Purchase.tenant_id == tenant_id,
            Purchase.member_id == member_id,
            Purchase.status == PAID,
        )
    ).all()
    session.execute(
        delete(RepurchasePrediction)
        .where(
            RepurchasePrediction.tenant_id == tenant_id, RepurchasePrediction.member_id == member_id
        )
        .execution_options(synchronize_session=False)
    )
    if products is None:  # only the member's products, not the whole catalogue
        products = _products(
            session,
            tenant_id,
            {
                line.get("product_id")
                for p in purchases
                for line in p.lines or ()
                if isinstance(line, dict) and isinstance(line.get("product_id"), str)
            },
        )
    rows = _rows(tenant_id, member_id, predict(purchases, products))
    if rows:
        session.execute(TABLE.insert(), rows)
    return rows


class PaidPurchase(NamedTuple):
    status: str
    placed_at: datetime
    lines: list


def _instant(value):
    if isinstance(value, str):  # SQLite: text, parsed here (cheaper than the generic type's regex)
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def paid_purchases(session, tenant_id):
    """The community's paid purchases by member, as light rows (``status``, ``placed_at``,
    ``lines``): what prediction and tags both read, loaded once by the daily refresh.

    Read as raw values and decoded here: over a community's history the generic column types
    would cost more than all the prediction. Identical ``lines`` texts (the same staple bought
    again) decode once and share one list, which nobody modifies."""
    by_member, decoded = defaultdict(list), {}
    statement = select(
        Purchase.member_id,
        type_coerce(Purchase.placed_at, String),
        type_coerce(Purchase.lines, String),
    ).where(Purchase.tenant_id == tenant_id, Purchase.status == PAID)
    for member_id, placed_at, lines in session.execute(statement):
        if isinstance(lines, str):
            parsed = decoded.get(lines)
            if parsed is None:
                parsed = decoded[lines] = json.loads(lines)
        else:  # a driver that decodes JSON itself
            parsed = lines
        by_member[member_id].append(PaidPurchase(PAID, _instant(placed_at), parsed))
    return by_member


def refresh_community(session, tenant_id, by_member=None):
    """Every member's predictions in one community (the daily timer, the bench): one read of
    the paid purchases (or ``by_member`` from ``paid_purchases``), one delete and one bulk
    insert. Returns how many predictions."""
    if by_member is None:
        by_member = paid_purchases(session, tenant_id)
    products = _products(session, tenant_id)
    rows = []
    for member_id, purchases in by_member.items():
        rows.extend(_rows(tenant_id, member_id, predict(purchases, products)))
    session.execute(
        delete(RepurchasePrediction)
        .where(RepurchasePrediction.tenant_id == tenant_id)
        .execution_options(synchronize_session=False)
    )
    if rows:
        session.execute(TABLE.insert(), rows)
    return len(rows)


def prediction_view(row):
    return {
        "product_id": row.product_id,
        "category": row.category,
        "name": row.name,
        "interval_days": row.interval_days,
        "next_due_at": row.next_due_at.isoformat(),
        "last_purchase_at": row.last_purchase_at.isoformat(),
        "purchases": row.purchases,
        "confidence": row.confidence,
    }


def member_predictions(session, tenant_id, member_id):
    """What the leader sees on a member: products first, soonest due first, then categories."""
    rows = session.scalars(
        select(RepurchasePrediction).where(
            RepurchasePrediction.tenant_id == tenant_id, RepurchasePrediction.member_id == member_id
        )
    )
    return [
        prediction_view(row)
        for row in sorted(rows, key=lambda r: (r.product_id is None, r.next_due_at))
    ]
