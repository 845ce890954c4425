"""The referral leaderboard (推荐之星): rewarded invitations per inviter this week or month,
which the leader reads out in the live session. Names are masked (李秀英 -> 李**)."""

from sqlalchemy import func, select

from services.infra.privacy import mask_name
from services.infra.schemas import load
from services.referral import periods
from services.referral.handlers import neighbour_name
from services.referral.models import Referral
from services.referral.schemas import LEADERBOARD_QUERY

TOP = 20


def leaderboard(session, caller, query, now=None):
    """Top inviters of the current calendar week (from Monday) or month, on the community's
    clock. Ties share a rank; among them, who got there first is listed first. Revoked rewards
    do not count."""
    tenant_id = caller.require_tenant()
    params = load(LEADERBOARD_QUERY, query)
    start = periods.period_start(params["period"], periods.timezone_of(session, tenant_id), now)
    count = func.count().label("count")
    rows = session.execute(
        select(Referral.referrer_member_id, count, func.max(Referral.rewarded_at).label("latest"))
        .where(
            Referral.tenant_id == tenant_id,
            Referral.status == "rewarded",
            Referral.rewarded_at >= start,
        )
        .group_by(Referral.referrer_member_id)
        .order_by(count.desc(), func.max(Referral.rewarded_at), Referral.referrer_member_id)
        .limit(TOP)
    ).all()
    items, rank, previous = [], 0, None
    for position, (member_id, rewarded, _latest) in enumerate(rows, start=1):
        if rewarded != previous:
            rank, previous = position, rewarded
        items.append(
            {
                "rank": rank,
                "name": mask_name(neighbour_name(session, member_id)),
                "count": rewarded,
                "me": caller.member_id is not None and member_id == caller.member_id,
            }
        )
    return {"period": params["period"], "since": start.isoformat(), "items": items}
