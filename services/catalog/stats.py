"""catalog's figures for the cockpit (数据驾驶舱): live sessions (直播).

Over the sessions *started* on a local day of the range: ``sessions`` how many, ``viewers`` the
sum of each session's distinct viewers, ``buyers`` the sum of each session's distinct buyers
(members holding a live reservation that was not released), ``conversion_rate`` buyers /
viewers (4 decimals, 0 without viewers) — the same counting as a session's own stats.
"""

from sqlalchemy import func, select

from services.catalog.live import CHANNEL
from services.catalog.models import LiveSession, LiveViewer, StockReservation
from services.infra.periods import day_range, ratio


def dashboard_stats(session, caller, date_from, date_to, timezone=None):
    caller.require_staff()
    start, end, _ = day_range(date_from, date_to, timezone)
    started = select(LiveSession.id).where(
        LiveSession.tenant_id == caller.tenant_id,
        LiveSession.started_at.is_not(None),
        LiveSession.started_at >= start,
        LiveSession.started_at < end,
    )
    ids = [row for (row,) in session.execute(started)]
    viewers = buyers = 0
    if ids:
        viewers = session.scalar(
            select(func.count(LiveViewer.id)).where(LiveViewer.session_id.in_(ids))
        )
        per_session = (
            select(
                StockReservation.channel_id, func.count(func.distinct(StockReservation.member_id))
            )
            .where(
                StockReservation.channel_type == CHANNEL.type,
                StockReservation.channel_id.in_(ids),
                StockReservation.status == "reserved",
            )
            .group_by(StockReservation.channel_id)
        )
        buyers = sum(count for _, count in session.execute(per_session))
    return {
        "live": {
            "sessions": len(ids),
            "viewers": int(viewers),
            "buyers": int(buyers),
            "conversion_rate": ratio(buyers, viewers),
        }
    }
