"""Reporting periods: a range of the community's calendar days as UTC instants.

Figures are asked for by local date (the leader's 2026-05-01 is Asia/Shanghai's); rows are stored
in UTC. Shared by the services' cockpit statistics (数据驾驶舱), not domain logic.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.infra.db import utcnow
from services.infra.errors import invalid

DEFAULT_TIMEZONE = "Asia/Shanghai"
MAX_DAYS = 366


def zone(name):
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def day_range(date_from, date_to, timezone=None):
    """``(start, end, days)``: UTC instants of local midnight on ``date_from`` and the day after
    ``date_to`` (end exclusive), and the local dates in between. 422 for a bad range."""
    try:
        first, last = date.fromisoformat(str(date_from)), date.fromisoformat(str(date_to))
    except ValueError:
        raise invalid({"from": ["Not an ISO date (YYYY-MM-DD)."]}) from None
    if first > last:
        raise invalid({"from": ["Must not be after 'to'."]})
    if (last - first).days + 1 > MAX_DAYS:
        raise invalid({"to": [f"At most {MAX_DAYS} days."]})
    tz = zone(timezone)
    start = datetime.combine(first, time(), tz).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(), tz).astimezone(UTC)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return start, end, days


def last_days(timezone=None, days=30, now=None):
    """``(from, to)``: the ``days`` local days ending today, as ISO dates."""
    today = (now or utcnow()).astimezone(zone(timezone)).date()
    return (today - timedelta(days=days - 1)).isoformat(), today.isoformat()


def local_date(moment, timezone=None):
    return moment.astimezone(zone(timezone)).date()


def ratio(part, whole, digits=4):
    return round(part / whole, digits) if whole else 0
