"""The points ledger (积分流水): the one module that writes ``PointsEntry`` rows.

Rows are only ever added. A member's balance is the sum of their deltas and is exactly what
they can spend now:

    kind      delta  when
    --------  -----  -----------------------------------------------------------------------
    earned      +    an order completed: floor(paid yuan x points_per_yuan), once per order
    held        -    checkout of an unpaid order: out of the balance at once, so the same
                     points can never pay for two orders
    released    +    the unpaid order was cancelled or abandoned: the hold comes back
    spent       0    the order was paid: the hold stays for good; this row marks the moment
    returned    +    a refund (or cancelling a paid order) gives back spent points in proportion
    reversed    -    a refund takes back earned points in proportion, never below a zero
                     balance (what cannot be taken back is forgiven; the row's reason says so)
    adjusted   +/-   the leader, by hand, with a reason (never below a zero balance)
    awarded     +    another feature's reward (a campaign, an approved purchase showcase, an
                     after-sale compensation), once per its key
    redeemed    -    points spent on a reward of the catalogue (``rewards``)

Why a hold is a negative row rather than a flag: the balance stays a plain sum that is always
safe to spend, and paying changes no row. What one order holds, earned and gave back is kept
beside the ledger in its ``Checkout`` row (one per order id).

Every row has an ``entry_key`` unique in the community (``held:<order>``, ``earned:<order>``,
``reversed:<target>:<order>``...), so an effect happens once even if an event arrives twice.
Callers hold the member's lock (``lock_member``) while they read a balance and write against it.
"""

from sqlalchemy import func, select

from services.crm.loyalty.models import Checkout, PointsEntry
from services.crm.members.models import Member
from services.infra.db import new_id


def balance(session, tenant_id, member_id):
    """Points the member can spend now (holds are already taken out)."""
    return int(
        session.scalar(
            select(func.coalesce(func.sum(PointsEntry.delta), 0)).where(
                PointsEntry.tenant_id == tenant_id, PointsEntry.member_id == member_id
            )
        )
    )


def held(session, tenant_id, member_id):
    """Points held by unpaid orders (already out of the balance)."""
    return int(
        session.scalar(
            select(func.coalesce(func.sum(Checkout.points_used), 0)).where(
                Checkout.tenant_id == tenant_id,
                Checkout.member_id == member_id,
                Checkout.status == "held",
            )
        )
    )


def lock_member(session, tenant_id, member_id):
    """The member, locked: checkouts, redemptions and reversals of one member take turns on the
    balance."""
    return session.scalars(
        select(Member)
        .where(Member.id == member_id, Member.tenant_id == tenant_id)
        .with_for_update()
    ).first()


def _write(session, tenant_id, member_id, kind, delta, entry_key, reason="", order_id=None):
    entry = PointsEntry(
        tenant_id=tenant_id,
        member_id=member_id,
        delta=delta,
        kind=kind,
        order_id=order_id,
        entry_key=entry_key,
        reason=reason,
    )
    session.add(entry)
    return entry


def _for_order(session, checkout, kind, delta, key, reason=""):
    return _write(
        session,
        checkout.tenant_id,
        checkout.member_id,
        kind,
        delta,
        f"{key}:{checkout.order_id}",
        reason,
        checkout.order_id,
    )


# --- an order's points -----------------------------------------------------------------------


def hold(session, checkout, points):
    """Checkout of an unpaid order takes ``points`` out of the balance."""
    return _for_order(session, checkout, "held", -points, "held", "checkout")


def release(session, checkout, points, reason):
    """The unpaid order's hold comes back (cancelled, abandoned)."""
    return _for_order(session, checkout, "released", points, "released", reason)


def mark_spent(session, checkout):
    """The order was paid: its hold stays for good (a row of 0 marks the moment)."""
    return _for_order(
        session, checkout, "spent", 0, "spent", f"{checkout.points_used} points paid the order"
    )


def give_back(session, checkout, points, target, reason):
    """Spent points come back (a refund, or cancelling a paid order), up to ``target`` in all."""
    return _for_order(session, checkout, "returned", points, f"returned:{target}", reason)


def take_back(session, checkout, points, target, reason):
    """Earned points go (a refund), up to ``target`` in all."""
    return _for_order(session, checkout, "reversed", -points, f"reversed:{target}", reason)


def earn(session, checkout, points):
    """A completed order's points."""
    return _for_order(session, checkout, "earned", points, "earned", "order_completed")


# --- points without an order -----------------------------------------------------------------


def adjust(session, tenant_id, member_id, delta, reason):
    """The leader's correction by hand."""
    return _write(session, tenant_id, member_id, "adjusted", delta, f"adjusted:{new_id()}", reason)


def award_points(session, tenant_id, member_id, points, entry_key, reason, order_id=None):
    """Points another feature gives (a campaign, an approved showcase, a compensation), once per
    ``entry_key``. Returns whether this call added them (``False``: already awarded, or nothing
    to give)."""
    if points <= 0:
        return False
    exists = session.scalars(
        select(PointsEntry).where(
            PointsEntry.tenant_id == tenant_id, PointsEntry.entry_key == entry_key
        )
    ).first()
    if exists is not None:
        return False
    _write(session, tenant_id, member_id, "awarded", points, entry_key, reason, order_id)
    session.flush()
    return True


def redeem(session, tenant_id, member_id, points, redemption_id, reason):
    """Points spent on a reward of the catalogue."""
    return _write(
        session,
        tenant_id,
        member_id,
        "redeemed",
        -points,
        f"redeemed:{redemption_id}",
        reason[:200],
    )
