"""The rewards catalogue (积分兑换): points for coupons.

The leader lists rewards (``POST``/``PATCH``); members see the active ones and redeem them:

* ``coupon``: a coupon of the given spec (fixed or percent, as ``schemas.CouponSpec``);
* ``goods_coupon`` (e.g. 100 points -> a box of eggs): a fixed coupon worth the product's
  price when redeemed (crm's product read model), with that price as its minimum spend. Checkout
  sees an order's subtotal, not its lines, so the coupon cannot be bound to the product itself:
  it pays for the goods when the member orders them (or anything worth as much). The leader may
  give ``amount_cents`` instead of relying on the current price.

Redeeming spends the points (a ``redeemed`` ledger entry, negative) and issues the coupon in
one transaction, under the member's lock: too few points is 409 and nothing changes. A request
with an ``Idempotency-Key`` redeems once: the retry answers the same redemption, the same key
for another reward is 409.
"""

from sqlalchemy import select

from services.crm.loyalty import coupons, ledger
from services.crm.loyalty.models import Coupon, IdempotencyKey, Reward, RewardRedemption
from services.crm.loyalty.schemas import REWARD_INPUT, REWARD_PATCH, REWARD_QUERY
from services.crm.members.models import ProductInfo
from services.infra import idempotency
from services.infra.db import get_in_community, new_id, newest_first, utcnow
from services.infra.errors import Conflict, invalid
from services.infra.schemas import decode_cursor, load, page


def reward_view(reward):
    return {
        "id": reward.id,
        "name": reward.name,
        "points_cost": reward.points_cost,
        "kind": reward.kind,
        "product_id": reward.product_id,
        "coupon": reward.coupon,
        "active": reward.active,
        "created_at": reward.created_at.isoformat(),
    }


def create_reward(session, caller, payload):
    caller.require_leader("Only the leader manages the rewards catalogue.")
    data = load(REWARD_INPUT, payload)
    product_id = None
    if data["kind"] == "goods_coupon":
        product_id = data["coupon"]["product_id"]
        product = session.get(ProductInfo, product_id)
        if product is None or product.tenant_id != caller.tenant_id:
            raise invalid({"coupon": {"product_id": ["No such product in this community."]}})
        if "amount_cents" not in data["coupon"] and not product.price_cents:
            raise invalid(
                {
                    "coupon": {
                        "amount_cents": ["This product's price is not known yet: give the value."]
                    }
                }
            )
    reward = Reward(
        tenant_id=caller.tenant_id,
        name=data["name"].strip(),
        points_cost=data["points_cost"],
        kind=data["kind"],
        product_id=product_id,
        coupon=data["coupon"],
        active=data["active"],
        created_at=utcnow(),
    )
    session.add(reward)
    session.flush()
    return reward_view(reward)


def update_reward(session, caller, reward_id, payload):
    caller.require_leader("Only the leader manages the rewards catalogue.")
    data = load(REWARD_PATCH, payload)
    reward = get_in_community(
        session, Reward, reward_id, caller.tenant_id, "No such reward.", "reward_id"
    )
    for field, value in data.items():
        setattr(reward, field, value.strip() if field == "name" else value)
    session.flush()
    return reward_view(reward)


def list_rewards(session, caller, query):
    """Members see the active rewards; the leader and staff all of them."""
    tenant_id = caller.require_tenant()
    params = load(REWARD_QUERY, query)
    statement = select(Reward).where(Reward.tenant_id == tenant_id)
    if not caller.is_staff:
        statement = statement.where(Reward.active.is_(True))
    statement = newest_first(statement, Reward, decode_cursor(params["cursor"]), params["limit"])
    return page([reward_view(r) for r in session.scalars(statement)], params["limit"])


def _coupon_spec(session, reward):
    if reward.kind == "coupon":
        return dict(reward.coupon)
    amount = reward.coupon.get("amount_cents")
    if amount is None:
        product = session.get(ProductInfo, reward.product_id)
        amount = product.price_cents if product is not None else None
    if not amount:
        raise Conflict("This reward's goods have no price now.", {"reason": "reward_unavailable"})
    return {
        "kind": "fixed",
        "amount_cents": amount,
        "min_spend_cents": amount,
        "valid_days": reward.coupon["valid_days"],
    }


def redeem(session, caller, reward_id, idempotency_key=None):
    """Spend points on a reward: the coupon lands in the member's wallet."""
    caller.require_member()
    idempotency.checked_key(idempotency_key)
    tenant_id, member_id = caller.tenant_id, caller.member_id
    reward = get_in_community(session, Reward, reward_id, tenant_id, "No such reward.", "reward_id")
    ledger.lock_member(
        session, tenant_id, member_id
    )  # one member's spending takes turns, retries too
    return idempotency.run(
        session,
        IdempotencyKey,
        tenant_id,
        member_id,
        idempotency_key,
        {"call": "redeem_reward", "reward_id": reward.id},
        lambda: _redeem(session, tenant_id, member_id, reward, idempotency_key),
    )


def _redeem(session, tenant_id, member_id, reward, idempotency_key):
    if not reward.active:
        raise Conflict("This reward is no longer offered.", {"reason": "reward_inactive"})
    available = ledger.balance(session, tenant_id, member_id)
    if available < reward.points_cost:
        raise Conflict(
            "You do not have enough points for this reward.",
            {
                "reason": "points_insufficient",
                "balance": available,
                "points_cost": reward.points_cost,
            },
        )
    redemption = RewardRedemption(
        id=new_id(),
        tenant_id=tenant_id,
        member_id=member_id,
        reward_id=reward.id,
        request_key=idempotency_key or new_id(),
        points=reward.points_cost,
        coupon_id="",
        created_at=utcnow(),
    )
    coupon = coupons.issue_coupon(
        session,
        tenant_id,
        member_id,
        _coupon_spec(session, reward),
        "reward",
        f"reward:{redemption.id}",
    )
    redemption.coupon_id = coupon.id
    ledger.redeem(session, tenant_id, member_id, reward.points_cost, redemption.id, reward.name)
    session.add(redemption)
    session.flush()
    return _redemption_view(session, redemption)


def _redemption_view(session, redemption):
    coupon = session.get(Coupon, redemption.coupon_id)
    return {
        "id": redemption.id,
        "reward_id": redemption.reward_id,
        "points_spent": redemption.points,
        "balance": ledger.balance(session, redemption.tenant_id, redemption.member_id),
        "coupon": coupons.coupon_view(coupon) if coupon is not None else None,
        "created_at": redemption.created_at.isoformat(),
    }
