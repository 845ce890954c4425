"""Login rate limiting (登录限流): at most ``PER_COMMUNITY`` failed attempts per phone and
community, and ``PER_PHONE`` per phone across communities, within ``WINDOW``; more answer 429
with ``retry_after_seconds``.

Counted in crm's database so every crm process sees the same numbers. An attempt is written
*before* the password is checked (and counts while it runs), so concurrent guesses cannot all
slip under the limit; it is deleted if the password was right. A success removes only its own
row: it never clears failures someone else caused. A login that names no community counts
against every community of that phone.
"""

from datetime import timedelta

from sqlalchemy import delete, func, or_, select

from services.crm.accounts.models import LoginAttempt
from services.infra.db import utcnow
from services.infra.errors import RateLimited

WINDOW = timedelta(minutes=15)
PER_COMMUNITY = 5
PER_PHONE = 20


def _limited(retry_after):
    seconds = max(int(retry_after.total_seconds()) + 1, 1)
    return RateLimited(
        f"Too many failed logins. Try again in {seconds // 60 + 1} minutes.",
        {"reason": "login_rate_limited", "retry_after_seconds": seconds},
    )


def _check(session, phone, communities, now, own_id):
    """The wait before another try (``None``: go ahead), counting every other attempt (failed
    or still running). ``communities``: the slugs this attempt is for (the one asked for, or
    every community of the phone)."""
    since = now - WINDOW
    recent = select(LoginAttempt.at).where(
        LoginAttempt.phone == phone, LoginAttempt.at > since, LoginAttempt.id != own_id
    )
    waits = []
    overall = sorted(session.scalars(recent))
    if len(overall) >= PER_PHONE:
        waits.append(overall[-PER_PHONE] + WINDOW - now)
    for slug in communities:
        times = sorted(
            session.scalars(
                recent.where(or_(LoginAttempt.community == slug, LoginAttempt.community == ""))
            )
        )
        if len(times) >= PER_COMMUNITY:
            waits.append(times[-PER_COMMUNITY] + WINDOW - now)
    return max(waits) if waits else None


def begin_attempt(session, phone, community, communities, now=None):
    """Before checking a password: record the attempt (committed first, so a concurrent attempt
    in any process counts it), then refuse (429, the attempt withdrawn) if the others already
    reach a limit. Returns the attempt's id."""
    now = now or utcnow()
    with session.begin():
        attempt = LoginAttempt(phone=phone, community=community or "", at=now)
        session.add(attempt)
    with session.begin():
        wait = _check(
            session, phone, communities or ([community] if community else []), now, attempt.id
        )
        if wait is not None:
            session.execute(delete(LoginAttempt).where(LoginAttempt.id == attempt.id))
    if wait is not None:
        raise _limited(wait)
    return attempt.id


def succeeded(session, attempt_id):
    """The password was right: this attempt was not a failure. Its own transaction: the login
    checks the password outside any transaction (argon2 is slow), then forgets the attempt."""
    with session.begin():
        session.execute(delete(LoginAttempt).where(LoginAttempt.id == attempt_id))


def prune(session, now=None):
    """Forget attempts older than the window (a timer's work)."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.at <= (now or utcnow()) - WINDOW))


def failures(session, phone):
    return session.scalar(select(func.count(LoginAttempt.id)).where(LoginAttempt.phone == phone))
