"""crm's figures for the cockpit (数据驾驶舱): members and reminders.

- ``new_members``: members admitted (status active) on a local day of the range: when they were
  approved (``activated_at``), or joined if they needed no approval; ``daily`` gives them per
  day. ``members_total``: active members admitted before the range's end.
- ``reminders``: repurchase reminders (复购提醒) sent in the range and how many of them converted
  (the member ordered that product within ``reminders.CONVERSION_DAYS`` and paid), as
  ``reminders.reminder_stats`` counts them.
"""

from datetime import UTC, datetime

from sqlalchemy import and_, func, select

from services.crm.community import settings
from services.crm.engagement import reminders
from services.crm.members.models import Member
from services.infra.periods import day_range, last_days, local_date


def _aware(moment):
    """``coalesce`` of two UTC columns comes back as the engine stores it (SQLite: text)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def dashboard_stats(session, caller, date_from, date_to, timezone=None):
    """The crm part of the cockpit for the caller's community (staff only). ``timezone``
    defaults to the community's own, a missing date to the last 30 days up to today; the answer
    says which were used (crm owns the community's clock, so the gateway asks it first)."""
    caller.require_staff()
    timezone = timezone or settings.community_timezone(session, caller.tenant_id)
    if date_from is None or date_to is None:
        default_from, default_to = last_days(timezone)
        date_from, date_to = date_from or default_from, date_to or default_to
    start, end, days = day_range(date_from, date_to, timezone)
    tenant = caller.tenant_id
    active = and_(Member.tenant_id == tenant, Member.status == "active")

    admitted = func.coalesce(Member.activated_at, Member.created_at)
    daily = {day: 0 for day in days}
    for (moment,) in session.execute(
        select(admitted).where(active, admitted >= start, admitted < end)
    ):
        daily[local_date(_aware(moment), timezone)] += 1
    total = session.scalar(select(func.count()).select_from(Member).where(active, admitted < end))

    sent_and_converted = reminders.reminder_stats(session, tenant, start, end)
    return {
        "timezone": timezone,
        "from": days[0].isoformat(),
        "to": days[-1].isoformat(),
        "new_members": sum(daily.values()),
        "members_total": int(total),
        "reminders": sent_and_converted,
        "daily": [{"date": day.isoformat(), "new_members": count} for day, count in daily.items()],
    }
