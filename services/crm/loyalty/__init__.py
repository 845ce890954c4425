"""Loyalty (会员权益): points (积分), tiers (会员等级) and coupons (优惠券), and what they do
to an order at checkout (结算).

* ``ledger``: the points ledger, and the only module that writes it;
* ``points``: the member's points and the leader's corrections; ``tiers``: member tiers;
* ``coupons``: the wallet; ``checkout``: an order's discounts, holds, and its events;
* ``rewards``: the rewards catalogue; ``referral_rewards`` and ``compensations``: what
  referral and fulfilment decided to give.

The names below are loyalty's interface to the rest of crm (and its tests).
"""

from services.crm.loyalty.checkout import (
    apply_checkout,
    on_order_cancelled,
    on_order_completed,
    on_order_paid,
    on_order_refunded,
    release_checkout,
)
from services.crm.loyalty.coupons import (
    coupon_view,
    issue_coupon,
    issue_coupon_by_hand,
    my_coupons,
    revoke_coupon,
)
from services.crm.loyalty.ledger import award_points, balance, held, lock_member
from services.crm.loyalty.points import adjust_points, my_points
from services.crm.loyalty.schemas import MAX_COUPON_CENTS, CouponSpec
from services.crm.loyalty.tiers import (
    announce_terms_change,
    member_summary,
    member_tier,
    tier_for,
    trailing_spend,
)

__all__ = [
    "apply_checkout",
    "release_checkout",
    "on_order_paid",
    "on_order_cancelled",
    "on_order_completed",
    "on_order_refunded",
    "coupon_view",
    "issue_coupon",
    "issue_coupon_by_hand",
    "my_coupons",
    "revoke_coupon",
    "award_points",
    "balance",
    "held",
    "lock_member",
    "adjust_points",
    "my_points",
    "MAX_COUPON_CENTS",
    "CouponSpec",
    "announce_terms_change",
    "member_summary",
    "member_tier",
    "tier_for",
    "trailing_spend",
]
