"""referral's figures for the cockpit (数据驾驶舱): word of mouth (口碑裂变).

``invited``: neighbours who joined with an invite code on a local day of the range;
``rewarded``: referrals rewarded in the range and not revoked since.
"""

from sqlalchemy import func, select

from services.infra.periods import day_range
from services.referral.models import Referral


def dashboard_stats(session, caller, date_from, date_to, timezone=None):
    caller.require_staff()
    start, end, _ = day_range(date_from, date_to, timezone)
    mine = Referral.tenant_id == caller.tenant_id
    invited = session.scalar(
        select(func.count())
        .select_from(Referral)
        .where(mine, Referral.created_at >= start, Referral.created_at < end)
    )
    rewarded = session.scalar(
        select(func.count())
        .select_from(Referral)
        .where(
            mine,
            Referral.status == "rewarded",
            Referral.rewarded_at >= start,
            Referral.rewarded_at < end,
        )
    )
    return {"referrals": {"invited": int(invited), "rewarded": int(rewarded)}}
