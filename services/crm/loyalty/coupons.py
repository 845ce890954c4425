"""Coupons (优惠券) in a member's wallet: issued once per source key, then

    available -> locked (in an unpaid order's checkout) -> redeemed (the order was paid)
    available -> revoked (taken back unused)
    locked or redeemed -> available (the order was cancelled)

Every change of status is a compare-and-set (``UPDATE ... WHERE status = :expected``, the row
count checked): with many processes, two releases of the same coupon release it once, and a
coupon is never in two orders.
"""

from datetime import timedelta

from sqlalchemy import select, update

from services.crm.loyalty.models import Coupon
from services.crm.loyalty.schemas import COUPON_QUERY, COUPON_SPEC
from services.crm.members.models import Member
from services.infra.db import get_in_community, new_id, newest_first, utcnow
from services.infra.schemas import decode_cursor, load, page

COUPON_SOURCES = ("campaign", "referral", "birthday", "reward", "compensation", "manual")


def coupon_status(coupon, now):
    """``expired`` is not stored: an available coupon past its window simply is."""
    if coupon.status == "available" and coupon.valid_until <= now:
        return "expired"
    return coupon.status


def coupon_view(coupon, now=None):
    return {
        "id": coupon.id,
        "member_id": coupon.member_id,
        "kind": coupon.kind,
        "amount_cents": coupon.amount_cents if coupon.kind == "fixed" else None,
        "percent": coupon.percent if coupon.kind == "percent" else None,
        "cap_cents": coupon.cap_cents,
        "min_spend_cents": coupon.min_spend_cents,
        "valid_from": coupon.valid_from.isoformat(),
        "valid_until": coupon.valid_until.isoformat(),
        "status": coupon_status(coupon, now or utcnow()),
        "source": coupon.source,
        "created_at": coupon.created_at.isoformat(),
    }


def issue_coupon(session, tenant_id, member_id, spec, source, source_key, now=None):
    """Put a coupon in a member's wallet: the use case campaigns, referral rewards, birthday
    greetings, rewards redemption and after-sale compensation call. Idempotent on
    ``source_key``: the same key answers the coupon issued the first time."""
    if source not in COUPON_SOURCES:
        raise ValueError(f"unknown coupon source {source!r}")
    data = load(COUPON_SPEC, spec)
    existing = session.scalars(
        select(Coupon).where(Coupon.tenant_id == tenant_id, Coupon.source_key == source_key)
    ).first()
    if existing is not None:
        return existing
    now = now or utcnow()
    coupon = Coupon(
        id=new_id(),
        tenant_id=tenant_id,
        member_id=member_id,
        kind=data["kind"],
        amount_cents=data.get("amount_cents", 0),
        percent=data.get("percent", 0),
        cap_cents=data.get("cap_cents"),
        min_spend_cents=data["min_spend_cents"],
        valid_from=now,
        valid_until=now + timedelta(days=data["valid_days"]),
        status="available",
        source=source,
        source_key=source_key,
        created_at=now,
    )
    session.add(coupon)
    session.flush()
    return coupon


def issue_coupon_by_hand(session, caller, member_id, payload):
    """The leader gives a member a coupon (e.g. as thanks or an apology)."""
    caller.require_staff()
    get_in_community(session, Member, member_id, caller.tenant_id, "No such member.", "member_id")
    coupon = issue_coupon(
        session, caller.tenant_id, member_id, payload, "manual", f"manual:{new_id()}"
    )
    return coupon_view(coupon)


def revoke_coupon(session, tenant_id, source_key):
    """Take back an issued coupon (a referral reward whose order was refunded) if it is still
    unused: only an ``available`` one becomes ``revoked``; one locked in an order or redeemed
    stays. Returns the coupon's status afterwards (``None`` if none was issued)."""
    coupon = session.scalars(
        select(Coupon).where(Coupon.tenant_id == tenant_id, Coupon.source_key == source_key)
    ).first()
    if coupon is None:
        return None
    session.execute(
        update(Coupon)
        .where(Coupon.id == coupon.id, Coupon.status == "available")
        .values(status="revoked")
        .execution_options(synchronize_session="fetch")
    )
    return coupon.status


def my_coupons(session, caller, query):
    """The member's wallet, by status (available by default), newest first."""
    caller.require_member()
    params = load(COUPON_QUERY, query)
    now = utcnow()
    statement = select(Coupon).where(
        Coupon.tenant_id == caller.tenant_id, Coupon.member_id == caller.member_id
    )
    status = params["status"]
    if status == "available":
        statement = statement.where(Coupon.status == "available", Coupon.valid_until > now)
    elif status == "expired":
        statement = statement.where(Coupon.status == "available", Coupon.valid_until <= now)
    elif status != "all":
        statement = statement.where(Coupon.status == status)
    statement = newest_first(statement, Coupon, decode_cursor(params["cursor"]), params["limit"])
    return page(
        [coupon_view(coupon, now) for coupon in session.scalars(statement)], params["limit"]
    )


def coupon_discount(coupon, amount_cents):
    """What ``coupon`` takes off ``amount_cents`` (never more than the amount)."""
    if coupon.kind == "fixed":
        return min(coupon.amount_cents, amount_cents)
    off = amount_cents * coupon.percent // 100
    if coupon.cap_cents is not None:
        off = min(off, coupon.cap_cents)
    return min(off, amount_cents)


# --- an order's coupon -----------------------------------------------------------------------


def _set_status(session, conditions, values):
    statement = (
        update(Coupon)
        .where(*conditions)
        .values(**values)
        .execution_options(synchronize_session="fetch")
    )
    return session.execute(statement).rowcount == 1


def lock(session, coupon_id, order_id):
    """An available coupon goes into ``order_id``; ``False`` if it is no longer available."""
    return _set_status(
        session,
        (Coupon.id == coupon_id, Coupon.status == "available"),
        {"status": "locked", "locked_order_id": order_id},
    )


def commit(session, coupon_id, order_id, now=None):
    """The order was paid: its locked coupon is redeemed. ``False``: not locked in it (any more)."""
    return _set_status(
        session,
        (Coupon.id == coupon_id, Coupon.locked_order_id == order_id, Coupon.status == "locked"),
        {"status": "redeemed", "redeemed_at": now or utcnow()},
    )


def release(session, coupon_id, order_id, from_statuses=("locked",)):
    """The order's coupon is usable again, if it is still the order's in one of
    ``from_statuses``; ``False`` if someone else released it first (or it was never this
    order's)."""
    return _set_status(
        session,
        (
            Coupon.id == coupon_id,
            Coupon.locked_order_id == order_id,
            Coupon.status.in_(from_statuses),
        ),
        {"status": "available", "locked_order_id": None, "redeemed_at": None},
    )
