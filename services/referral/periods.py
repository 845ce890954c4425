"""Calendar periods on the community's clock: a week starts on Monday 00:00, a month on the 1st."""

from datetime import UTC, datetime, timedelta

from services.infra.db import utcnow
from services.infra.periods import zone
from services.referral.models import CommunityCard


def timezone_of(session, tenant_id):
    """The community's clock (Asia/Shanghai when unknown or not a real zone)."""
    card = session.get(CommunityCard, tenant_id)
    return zone(card.timezone if card is not None else None)


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
