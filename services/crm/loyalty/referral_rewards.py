"""Referral rewards in the member's wallet: referral decides who is rewarded, crm gives it.

* ``referral.referral_rewarded`` -> a fixed-amount coupon (推荐奖励券) to each side, valid
  ``VALID_DAYS`` days, no minimum spend, keyed ``referral:<id>:referrer`` / ``:invitee`` so a
  redelivered event issues nothing more.
* ``referral.referral_reward_revoked`` -> those coupons are revoked if still unused (available);
  one already locked in an order or redeemed stays with its owner.
* ``referral.showcase_approved`` -> the showcase's points, once per order (``showcase:<order>``).

The tolerant schemas of these events are in ``services.crm.events``.
"""

from services.crm.events import REFERRAL_REVOKED, REFERRAL_REWARDED, SHOWCASE_APPROVED
from services.crm.loyalty import coupons, ledger
from services.infra.messaging import inbox_consumer
from services.infra.schemas import load

VALID_DAYS = 30
SIDES = ("referrer", "invitee")


def coupon_key(referral_id, side):
    return f"referral:{referral_id}:{side}"


@inbox_consumer("services.crm.referral_rewards:on_referral_rewarded")
def on_referral_rewarded(session, event):
    data = load(REFERRAL_REWARDED, event["data"])
    for side in SIDES:
        if data[f"{side}_reward_cents"] > 0:
            _issue(session, event, data, side)


def _issue(session, event, data, side):
    spec = {
        "kind": "fixed",
        "amount_cents": data[f"{side}_reward_cents"],
        "min_spend_cents": 0,
        "valid_days": VALID_DAYS,
    }
    return coupons.issue_coupon(
        session,
        event["tenant_id"],
        data[f"{side}_id"],
        spec,
        "referral",
        coupon_key(data["referral_id"], side),
    )


@inbox_consumer("services.crm.referral_rewards:on_referral_reward_revoked")
def on_referral_reward_revoked(session, event):
    """Events of two types may arrive in either order: if the reward has not been seen yet, its
    coupon is issued here already revoked, so the late ``referral_rewarded`` finds it (same key)
    and gives nothing."""
    data = load(REFERRAL_REVOKED, event["data"])
    for side in SIDES:
        key = coupon_key(data["referral_id"], side)
        if (
            coupons.revoke_coupon(session, event["tenant_id"], key) is None
            and data[f"{side}_reward_cents"] > 0
        ):
            _issue(session, event, data, side)
            coupons.revoke_coupon(session, event["tenant_id"], key)


@inbox_consumer("services.crm.referral_rewards:on_showcase_approved")
def on_showcase_approved(session, event):
    data = load(SHOWCASE_APPROVED, event["data"])
    ledger.award_points(
        session,
        event["tenant_id"],
        data["member_id"],
        data["points"],
        f"showcase:{data['order_id']}",
        "晒单奖励 (showcase approved)",
        order_id=data["order_id"],
    )
