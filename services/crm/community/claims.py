"""Periodic work claimed per unit (a community): with N crm processes, each runs its timers,
and each unit of a job is done once per period.

``claim`` moves the unit's lease forward only if it has run out (``UPDATE ... WHERE until <=
:now``, the row count checked), or inserts it the first time (a concurrent insert of the same
unit fails on the primary key: the other process has it). It is written in the caller's
transaction, with the work: if the work fails and rolls back, the claim goes with it and the
unit is done at the next tick.
"""

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from services.crm.community.models import PeriodicClaim


def claim(session, job, unit, now, period):
    """Whether this transaction has ``unit`` of ``job`` for ``period`` from ``now``."""
    taken = session.execute(
        update(PeriodicClaim)
        .where(PeriodicClaim.job == job, PeriodicClaim.unit == unit, PeriodicClaim.until <= now)
        .values(until=now + period, claimed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken == 1:
        return True
    if session.get(PeriodicClaim, (job, unit)) is not None:
        return False  # someone has it for this period
    try:
        with session.begin_nested():
            session.add(PeriodicClaim(job=job, unit=unit, until=now + period, claimed_at=now))
    except IntegrityError:  # claimed the first time by another process just now
        return False
    return True
