"""Member tiers (会员等级) by trailing 365-day spend, and the checkout terms orders may remember."""

from datetime import timedelta

from sqlalchemy import func, select

from services.crm import events
from services.crm.community import settings
from services.crm.loyalty import ledger
from services.crm.members.models import Purchase
from services.infra.db import utcnow
from services.infra.messaging import emit

TIER_WINDOW = timedelta(days=365)
TERMS_TTL = timedelta(days=1)


def tier_window(session, tenant_id, member_id, now):
    """What the member paid in the last 365 days, less refunds (from crm's purchase history),
    and when the oldest purchase counted was placed."""
    spent, oldest = session.execute(
        select(
            func.coalesce(func.sum(Purchase.total_cents - Purchase.refunded_cents), 0),
            func.min(Purchase.placed_at),
        ).where(
            Purchase.tenant_id == tenant_id,
            Purchase.member_id == member_id,
            Purchase.status.in_(("paid", "refunded")),
            Purchase.placed_at >= now - TIER_WINDOW,
        )
    ).one()
    return max(int(spent), 0), oldest


def trailing_spend(session, tenant_id, member_id, now=None):
    return tier_window(session, tenant_id, member_id, now or utcnow())[0]


def tier_for(tiers, spend_cents):
    """The highest tier whose minimum spend is reached (tiers are in increasing order)."""
    reached = [tier for tier in tiers if tier["min_spend_cents"] <= spend_cents]
    tier = reached[-1] if reached else {"name": "", "discount_percent": 0}
    return {"name": tier["name"], "discount_percent": tier["discount_percent"]}


def member_tier_of(session, tenant_id, spend_cents):
    return tier_for(settings.for_tenant(session, tenant_id)["tiers"], spend_cents)


def member_tier(session, tenant_id, member_id, now=None):
    return member_tier_of(session, tenant_id, trailing_spend(session, tenant_id, member_id, now))


def checkout_terms(tier, oldest_counted, now):
    """What orders may remember to price an order without coupon or points by itself: the tier
    discount, and until when it surely holds: when the oldest purchase counted leaves the
    window (the tier may drop), at most a day (a change orders missed heals by itself). Any
    other change comes as ``checkout_terms_changed`` (``announce_terms_change``)."""
    until = now + TERMS_TTL
    if oldest_counted is not None:
        until = min(until, oldest_counted + TIER_WINDOW)
    return {"discount_percent": tier["discount_percent"], "valid_until": until.isoformat()}


def announce_terms_change(session, tenant_id, member_id, discount_before):
    """After the member's spend changed: tell orders if their tier discount did."""
    if member_tier(session, tenant_id, member_id)["discount_percent"] != discount_before:
        emit(session, events.CHECKOUT_TERMS_CHANGED, {"member_id": member_id}, tenant_id=tenant_id)


def member_summary(session, tenant_id, member_id):
    """What ``GET /me`` shows of loyalty: points and tier."""
    spend = trailing_spend(session, tenant_id, member_id)
    tier = member_tier_of(session, tenant_id, spend)
    return {
        "points": ledger.balance(session, tenant_id, member_id),
        "points_held": ledger.held(session, tenant_id, member_id),
        "tier": {**tier, "spend_cents": spend},
    }
