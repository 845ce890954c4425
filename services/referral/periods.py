"""Calendar periods on the community's clock: a week starts on Monday 00:00, a month on the 1st."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.infra.db import utcnow
from services.referral.models import CommunityCard

DEFAULT_TIMEZONE = "Asia/Shanghai"


def timezone_of(session, tenant_id):
    card = session.get(CommunityCard, tenant_id)
    name = card.timezone if card is not None and card.timezone else DEFAULT_TIMEZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def period_start(period, zone, now=None):
    """The UTC instant the current ``week`` or ``month`` began on the clock of ``zone``."""
    local = (now or utcnow()).astimezone(zone)
    midnight = datetime(local.year, local.month, local.day, tzinfo=zone)
    if period == "week":
        start = midnight - timedelta(days=local.weekday())
    elif period == "month":
        start = midnight.replace(day=1)
    else:
        raise ValueError(f"unknown period {period!r}")
    # Re-attach the zone after the arithmetic so a DST change inside the period is honoured.
    return datetime(start.year, start.month, start.day, tzinfo=zone).astimezone(UTC)
