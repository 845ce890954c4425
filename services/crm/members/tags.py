"""Member tags (用户画像标签): the leader's manual tags and automatic ones kept current from
crm's purchase history.

Automatic tags (``auto_tags``, a pure function that prediction, campaigns and the bench reuse):

* frequent buyer (高频用户): 3 or more paid orders containing a category within the last 30
  days -> ``高频{category}用户`` (e.g. 高频乳品用户);
* preference (偏好): more than half of the units bought in paid orders carry the product tag
  ``有机``/``organic`` -> ``偏好有机``;
* lifecycle (生命周期), exactly one: new (新人: joined less than 14 days ago with at most one
  paid order), else by the last paid order: active (活跃用户, within 30 days), dormant
  (沉睡用户, 30 to 90 days ago), lost (流失用户, more than 90 days ago). A member past the new
  period who never ordered is dormant, and lost once they joined more than 90 days ago.

A "paid order" is a purchase whose status is ``paid`` (cancelled and wholly refunded ones no
longer count; an unpaid one does not yet). Tags are recomputed when a member's purchases change
and by a daily timer (lifecycle moves with time alone).
"""

from collections import defaultdict
from collections.abc import Mapping
from datetime import timedelta

from sqlalchemy import bindparam, delete, select, update

from services.crm.members.models import Member, MemberTag, ProductInfo, Purchase
from services.infra.db import utcnow

FREQUENT_WINDOW = timedelta(days=30)
FREQUENT_ORDERS = 3
NEW_MEMBER_DAYS = 14
ACTIVE_DAYS = 30
DORMANT_DAYS = 90
ORGANIC_TAGS = {"有机", "organic"}
ORGANIC_PREFERENCE = "偏好有机"
LIFECYCLE_TAGS = {"new": "新人", "active": "活跃用户", "dormant": "沉睡用户", "lost": "流失用户"}
PAID = "paid"


MAX_TAG = 40  # MemberTag.tag


def frequent_tag(category):
    return f"高频{category[: MAX_TAG - 4]}用户"


def field_of(row, key):
    """A purchase's (or product's) field, whether it is a row or a plain dict (pure callers,
    tests)."""
    return row[key] if isinstance(row, Mapping) else getattr(row, key)


def _paid(purchases):
    return [p for p in purchases if field_of(p, "status") == PAID]


def lifecycle(purchases, now, joined_at=None):
    """``new|active|dormant|lost`` of a member with these purchases."""
    paid = _paid(purchases)
    if (
        joined_at is not None
        and now - joined_at < timedelta(days=NEW_MEMBER_DAYS)
        and len(paid) <= 1
    ):
        return "new"
    last = max((field_of(p, "placed_at") for p in paid), default=None)
    if last is None:  # never ordered, no longer new: dormant, then lost, counted from joining
        last = joined_at if joined_at is not None else now - timedelta(days=DORMANT_DAYS + 1)
        days = (now - last) / timedelta(days=1)
        return "dormant" if days <= DORMANT_DAYS else "lost"
    days = (now - last) / timedelta(days=1)
    if days < ACTIVE_DAYS:
        return "active"
    if days <= DORMANT_DAYS:
        return "dormant"
    return "lost"


def auto_tags(purchases, products, now, joined_at=None):
    """The automatic tags of one member, sorted: ``purchases`` are rows or dicts with
    ``status``, ``placed_at`` and ``lines`` ([{product_id, quantity}]); ``products`` maps a
    product id to ``{"category", "tags"}`` (unknown products count for nothing but lifecycle)."""
    paid = _paid(purchases)
    since = now - FREQUENT_WINDOW
    orders_by_category = defaultdict(int)
    units = organic = 0
    for purchase in paid:
        categories = set()
        for line in field_of(purchase, "lines") or ():
            product = products.get(line.get("product_id")) or {}
            quantity = max(int(line.get("quantity") or 0), 0)
            units += quantity
            if {str(tag).strip().lower() for tag in product.get("tags") or ()} & ORGANIC_TAGS:
                organic += quantity
            if product.get("category"):
                categories.add(product["category"])
        if field_of(purchase, "placed_at") >= since:
            for category in categories:
                orders_by_category[category] += 1
    tags = {
        frequent_tag(category)
        for category, count in orders_by_category.items()
        if count >= FREQUENT_ORDERS
    }
    if units and organic * 2 > units:
        tags.add(ORGANIC_PREFERENCE)
    tags.add(LIFECYCLE_TAGS[lifecycle(purchases, now, joined_at)])
    return sorted(tags)


# --- keeping them current --------------------------------------------------------------------


def products_of(session, tenant_id, product_ids):
    if not product_ids:
        return {}
    rows = session.scalars(
        select(ProductInfo).where(
            ProductInfo.tenant_id == tenant_id, ProductInfo.product_id.in_(sorted(product_ids))
        )
    )
    return {row.product_id: {"category": row.category, "tags": row.tags or []} for row in rows}


def _product_ids(purchases):
    return {
        line.get("product_id")
        for p in purchases
        for line in (p.lines or ())
        if isinstance(line, dict)
    }


def set_tags(session, member, source, tags):
    """Replace the member's tags of one ``source`` (manual|auto): the JSON column shown and the
    index rows filtered on."""
    tags = sorted(set(tags))
    current = member.tags if source == "manual" else member.auto_tags
    if sorted(current or []) == tags:
        return False
    if source == "manual":
        member.tags = tags
    else:
        member.auto_tags = tags
    session.execute(
        delete(MemberTag)
        .where(MemberTag.member_id == member.id, MemberTag.source == source)
        .execution_options(synchronize_session=False)
    )  # not a scan of every loaded row
    session.add_all(
        MemberTag(member_id=member.id, tag=tag, source=source, tenant_id=member.tenant_id)
        for tag in tags
    )
    session.flush()
    return True


def refresh_member(session, tenant_id, member_id, now=None):
    """Recompute one member's automatic tags (their purchases changed)."""
    member = session.get(Member, member_id) if isinstance(member_id, str) else None
    if member is None or member.tenant_id != tenant_id:
        return None
    purchases = list(
        session.scalars(
            select(Purchase).where(Purchase.tenant_id == tenant_id, Purchase.member_id == member_id)
        )
    )
    products = products_of(session, tenant_id, _product_ids(purchases))
    set_tags(
        session, member, "auto", auto_tags(purchases, products, now or utcnow(), member.created_at)
    )
    return member.auto_tags


MEMBERS = Member.__table__
TAGS = MemberTag.__table__
CHUNK = 500


def refresh_community(session, tenant_id, now=None, by_member=None):
    """Recompute every member's automatic tags in one community (the daily timer's work): a
    read of the paid purchases (or ``by_member``, rows with ``status``, ``placed_at``,
    ``lines`` by member: only paid ones count), of the members and products, then bulk writes
    for the members whose tags changed. Returns how many members' tags changed."""
    now = now or utcnow()
    if by_member is None:
        by_member = defaultdict(list)
        for row in session.execute(
            select(Purchase.member_id, Purchase.status, Purchase.placed_at, Purchase.lines).where(
                Purchase.tenant_id == tenant_id, Purchase.status == PAID
            )
        ):
            by_member[row.member_id].append(row)
    products = products_of(
        session, tenant_id, {pid for ps in by_member.values() for pid in _product_ids(ps)}
    )
    changed = {}
    for member_id, created_at, current in session.execute(
        select(Member.id, Member.created_at, Member.auto_tags).where(Member.tenant_id == tenant_id)
    ):
        tags = auto_tags(by_member.get(member_id, []), products, now, created_at)
        if sorted(current or []) != tags:
            changed[member_id] = tags
    ids = list(changed)
    session.flush()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        session.execute(TAGS.delete().where(TAGS.c.member_id.in_(chunk), TAGS.c.source == "auto"))
        rows = [
            {"member_id": m, "tag": tag, "source": "auto", "tenant_id": tenant_id}
            for m in chunk
            for tag in changed[m]
        ]
        if rows:
            session.execute(TAGS.insert(), rows)
        session.execute(
            update(MEMBERS)
            .where(MEMBERS.c.id == bindparam("member"))
            .values(auto_tags=bindparam("new_tags")),
            [{"member": m, "new_tags": changed[m]} for m in chunk],
        )
    if ids:
        session.flush()
        session.expire_all()  # members loaded before see their new tags
    return len(ids)
