"""Referral rewards (推荐奖励): the invitee's first completed order decides, fairly, once.

Referral keeps a small read model of every member's orders from orders' events (``OrderFact``),
so it knows which completed order is an invitee's first and whether it was refunded.

On the invitee's first ``order_completed`` (an order wholly refunded before it completed does not
count; the next one may), the referral is decided once, with the program's rules of that moment:

* ``refused`` with a ``reason`` the leader sees: ``self_invite``,
  ``same_household`` (same building and unit as the inviter, unless the leader allows it),
  ``below_minimum`` (the order, less what was refunded of it, is under
  ``min_first_order_cents``), ``weekly_cap`` (the inviter already has that many rewarded
  invitations in the calendar week of the completion, on the community's clock);
* else ``rewarded``, and ``referral_rewarded`` goes out (crm issues the coupons).

A refund of that first order within ``AFTER_SALE_WINDOW`` of its completion that is whole, or
leaves less than the minimum, revokes the reward (``referral_reward_revoked``; crm takes back the
coupons still unused). Each happens once: the referral's status guards it, and the inbox makes a
redelivered event a no-op.

There is no phone rule: a phone is one account per community (crm's accounts are unique per
community and phone), so an inviter and their invitee never share one; and crm's
``member_joined`` carries no phone anyway.
"""

from datetime import timedelta

from sqlalchemy import func, select

from services.infra.messaging import emit, inbox_consumer
from services.infra.schemas import load
from services.referral import events, periods, program
from services.referral.models import InviteCode, Neighbour, OrderFact, Referral

AFTER_SALE_WINDOW = timedelta(days=7)
ORDER = events.OrderData()


# --- the order read model --------------------------------------------------------------------


def _fact(session, event):
    """The order's row, created from whichever event arrives first (events may overtake)."""
    data = load(ORDER, event["data"])
    fact = session.get(OrderFact, data["order_id"])
    if fact is None:
        fact = OrderFact(
            order_id=data["order_id"],
            tenant_id=event["tenant_id"],
            member_id=data["member_id"],
            status="placed",
            total_cents=data["total_cents"],
            refunded_cents=0,
        )
        session.add(fact)
    elif fact.tenant_id != event["tenant_id"]:
        return data, None  # an id of another community: not ours to touch
    return data, fact


@inbox_consumer("services.referral.rewards:record_order_paid")
def record_order_paid(session, event):
    _, fact = _fact(session, event)
    if fact is not None and fact.status == "placed":
        fact.status = "paid"


@inbox_consumer("services.referral.rewards:record_order_cancelled")
def record_order_cancelled(session, event):
    _, fact = _fact(session, event)
    if fact is not None and fact.status in ("placed", "paid"):
        fact.status = "cancelled"


@inbox_consumer("services.referral.rewards:record_order_completed")
def record_order_completed(session, event):
    """``orders.order_completed``: the order counts now; an invitee's first decides the referral."""
    data, fact = _fact(session, event)
    if fact is None or fact.status in ("completed", "refunded", "cancelled"):
        return
    fact.status = "completed"
    fact.completed_at = data["completed_at"] or event["occurred_at"]
    session.flush()
    decide(session, event, fact)


@inbox_consumer("services.referral.rewards:record_order_refunded")
def record_order_refunded(session, event):
    """``orders.order_refunded``: remember what was given back; a rewarded first order may
    revoke."""
    data, fact = _fact(session, event)
    if fact is None:
        return
    fact.refunded_cents = min(
        max(fact.refunded_cents, data["refunded_total_cents"]), fact.total_cents
    )
    if data["whole"] or fact.refunded_cents >= fact.total_cents > 0:
        fact.status = "refunded"
    session.flush()
    revoke_if_refunded(session, event, fact)


# --- deciding a referral ---------------------------------------------------------------------


def _same(left, right):
    return (left or "").strip().casefold() == (right or "").strip().casefold()


def refusal(session, referral, rules, order_cents, completed_at):
    """Why this referral earns nothing, or ``None`` if it is rewarded."""
    if referral.referrer_member_id == referral.invitee_member_id:
        return "self_invite"
    inviter = session.get(Neighbour, referral.referrer_member_id)
    invitee = session.get(Neighbour, referral.invitee_member_id)
    if inviter is not None and invitee is not None:
        household = inviter.building and inviter.unit
        if (
            household
            and not rules["allow_same_household"]
            and _same(inviter.building, invitee.building)
            and _same(inviter.unit, invitee.unit)
        ):
            return "same_household"
    if order_cents < rules["min_first_order_cents"]:
        return "below_minimum"
    if (
        rewarded_in_week(session, referral.tenant_id, referral.referrer_member_id, completed_at)
        >= rules["weekly_cap"]
    ):
        return "weekly_cap"
    return None


def rewarded_in_week(session, tenant_id, referrer_id, at):
    """Invitations of ``referrer_id`` rewarded in the calendar week of ``at`` (revoked ones too:
    inviting and refunding must not reset the cap)."""
    start = periods.period_start("week", periods.timezone_of(session, tenant_id), at)
    return session.scalar(
        select(func.count())
        .select_from(Referral)
        .where(
            Referral.tenant_id == tenant_id,
            Referral.referrer_member_id == referrer_id,
            Referral.status.in_(("rewarded", "revoked")),
            Referral.rewarded_at >= start,
            Referral.rewarded_at < start + timedelta(days=7),
        )
    )


def decide(session, event, fact):
    referral = session.get(Referral, fact.member_id)
    if referral is None or referral.tenant_id != fact.tenant_id or referral.status != "joined":
        return
    # The inviter's row, locked: two invitees' orders completing at once take turns on the cap.
    session.scalars(
        select(InviteCode)
        .where(InviteCode.member_id == referral.referrer_member_id)
        .with_for_update()
    ).first()
    rules = program.for_tenant(session, fact.tenant_id)
    order_cents = fact.total_cents - fact.refunded_cents
    referral.first_order_id, referral.first_order_cents = fact.order_id, order_cents
    referral.first_order_completed_at = fact.completed_at
    referral.decided_at = event["occurred_at"]
    reason = refusal(session, referral, rules, order_cents, fact.completed_at)
    if reason is not None:
        referral.status, referral.reason = "refused", reason
        return
    referral.status, referral.reason = "rewarded", None
    referral.rewarded_at = fact.completed_at
    referral.referrer_reward_cents = rules["referrer_reward_cents"]
    referral.invitee_reward_cents = rules["invitee_reward_cents"]
    emit(
        session,
        events.REFERRAL_REWARDED,
        {
            "referral_id": referral.invitee_member_id,
            "referrer_id": referral.referrer_member_id,
            "invitee_id": referral.invitee_member_id,
            "referrer_reward_cents": referral.referrer_reward_cents,
            "invitee_reward_cents": referral.invitee_reward_cents,
            "order_id": fact.order_id,
        },
        tenant_id=fact.tenant_id,
        correlation_id=event.get("correlation_id"),
    )


def revoke_if_refunded(session, event, fact):
    """A rewarded first order refunded (wholly, or below the minimum) within the window."""
    referral = session.scalars(
        select(Referral).where(
            Referral.tenant_id == fact.tenant_id, Referral.first_order_id == fact.order_id
        )
    ).first()
    if referral is None or referral.status != "rewarded":
        return
    refunded_at = event["occurred_at"]
    if refunded_at > referral.first_order_completed_at + AFTER_SALE_WINDOW:
        return  # the after-sale window had closed: the reward stands
    remaining = fact.total_cents - fact.refunded_cents
    minimum = program.for_tenant(session, fact.tenant_id)["min_first_order_cents"]
    if fact.status != "refunded" and remaining > 0 and remaining >= minimum:
        return  # a partial refund that still leaves a qualifying order
    referral.status, referral.reason, referral.revoked_at = (
        "revoked",
        "first_order_refunded",
        refunded_at,
    )
    emit(
        session,
        events.REFERRAL_REWARD_REVOKED,
        {
            "referral_id": referral.invitee_member_id,
            "referrer_id": referral.referrer_member_id,
            "invitee_id": referral.invitee_member_id,
            "order_id": fact.order_id,
            "reason": "first_order_refunded",
            "referrer_reward_cents": referral.referrer_reward_cents,
            "invitee_reward_cents": referral.invitee_reward_cents,
        },
        tenant_id=fact.tenant_id,
        correlation_id=event.get("correlation_id"),
    )
