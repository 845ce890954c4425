"""crm's figures for the cockpit (数据驾驶舱): members and reminders.

- ``new_members``: members admitted (status active) on a local day of the range: when they were
  approved (``activated_at``), or joined if they needed no approval; ``daily`` gives them per
  day. ``members_total``: active members admitted before the range's end.
- ``reminders.sent``: inbox messages of a reminder kind (提醒: repurchase reminders) created in
  the range; ``converted``: those followed by an order the member placed within
  ``CONVERSION_DAYS`` days that was paid (or went further) — each reminder converts at most once.
"""

from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, select

from services.crm.models import Community, InboxMessage, Member, Purchase
from services.infra.periods import day_range, last_days, local_date

REMINDER_KINDS = ("repurchase_reminder", "reminder")
CONVERSION_DAYS = 7
NOT_BOUGHT = ("placed", "cancelled")


def _aware(moment):
    """``coalesce`` of two UTC columns comes back as the engine stores it (SQLite: text)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def community_timezone(session, tenant_id):
    community = session.get(Community, tenant_id)
    return community.timezone if community is not None else None


def dashboard_stats(session, caller, date_from, date_to, timezone=None):
    """The crm part of the cockpit for the caller's community (staff only). ``timezone``
    defaults to the community's own, a missing date to the last 30 days up to today; the answer
    says which were used (crm owns the community's clock, so the gateway asks it first)."""
    caller.require_staff()
    timezone = timezone or community_timezone(session, caller.tenant_id) or "Asia/Shanghai"
    if date_from is None or date_to is None:
        default_from, default_to = last_days(timezone)
        date_from, date_to = date_from or default_from, date_to or default_to
    start, end, days = day_range(date_from, date_to, timezone)
    tenant = caller.tenant_id
    active = and_(Member.tenant_id == tenant, Member.status == "active")

    admitted = func.coalesce(Member.activated_at, Member.created_at)
    daily = {day: 0 for day in days}
    for (moment,) in session.execute(
            select(admitted).where(active, admitted >= start, admitted < end)):
        daily[local_date(_aware(moment), timezone)] += 1
    total = session.scalar(select(func.count()).select_from(Member).where(active, admitted < end))

    reminders = and_(InboxMessage.tenant_id == tenant, InboxMessage.kind.in_(REMINDER_KINDS),
                     InboxMessage.created_at >= start, InboxMessage.created_at < end)
    sent = session.execute(select(InboxMessage.member_id, InboxMessage.created_at).where(reminders)).all()
    purchases = {}
    if sent:
        # Reminders per range are few (hundreds); dates compared here work the same on every engine.
        for member_id, placed_at in session.execute(
                select(Purchase.member_id, Purchase.placed_at).where(
                    Purchase.tenant_id == tenant, Purchase.member_id.in_({m for m, _ in sent}),
                    Purchase.status.not_in(NOT_BOUGHT), Purchase.placed_at >= start,
                    Purchase.placed_at < end + timedelta(days=CONVERSION_DAYS))):
            purchases.setdefault(member_id, []).append(placed_at)
    window = timedelta(days=CONVERSION_DAYS)
    converted = sum(1 for member_id, at in sent
                    if any(at <= placed < at + window for placed in purchases.get(member_id, ())))
    return {
        "timezone": timezone, "from": days[0].isoformat(), "to": days[-1].isoformat(),
        "new_members": sum(daily.values()),
        "members_total": int(total),
        "reminders": {"sent": len(sent), "converted": converted},
        "daily": [{"date": day.isoformat(), "new_members": count} for day, count in daily.items()],
    }
