"""Checkout (结算): what loyalty does to an order, and what the order's events do to it.

``apply_checkout`` runs in one transaction: the tier discount (percent of the subtotal,
rounded down), then a coupon (the member's own, available, valid now, minimum spend met by the
amount after the tier discount; a percent coupon is capped), then points (at most the balance
and at most ``max_points_ratio_percent`` of what is left; 1 point = 1 fen). The coupon is locked
and the points held; a ``Checkout`` row per order id remembers it all, so a retry answers the
same. ``order_paid`` spends them, ``order_cancelled`` (or ``release_checkout`` for an attempt
that never became an order) gives them back.

Refunds settle in proportion to the money refunded so far: after refunds totalling R of a paid
total T, floor(earned x R / T) earned points are taken back and floor(spent x R / T) spent points
given back (everything on a whole refund). Each refund settles only the difference from the
previous one, so partial refunds add up exactly. A redeemed coupon is not given back on refund.

A checkout's hold moves ``held -> spent`` (paid) or ``held|spent -> released`` (cancelled,
abandoned), each move a compare-and-set on its status, made while the member is locked: two
releases of the same hold give its points and coupon back once.
"""

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from services.crm.community import settings
from services.crm.loyalty import coupons, ledger, tiers
from services.crm.loyalty.models import Checkout, Coupon
from services.crm.loyalty.schemas import CHECKOUT_INPUT, ORDER_DATA
from services.infra.db import utcnow
from services.infra.errors import Conflict, Forbidden, NotFound
from services.infra.messaging import inbox_consumer
from services.infra.schemas import load


def checkout_view(checkout):
    points_discount = checkout.points_used  # 1 point = 1 fen
    discount = checkout.tier_discount_cents + checkout.coupon_discount_cents + points_discount
    return {
        "order_id": checkout.order_id,
        "status": checkout.status,
        "subtotal_cents": checkout.subtotal_cents,
        "tier_name": checkout.tier_name,
        "tier_discount_cents": checkout.tier_discount_cents,
        "coupon_id": checkout.coupon_id,
        "coupon_discount_cents": checkout.coupon_discount_cents,
        "points_used": checkout.points_used,
        "points_discount_cents": points_discount,
        "discount_cents": discount,
        "total_cents": checkout.total_cents,
    }


def _coupon_problem(reason, detail, **facts):
    return Conflict(detail, {"reason": reason, "errors": {"coupon_id": [detail]}, **facts})


def apply_checkout(session, caller, payload, now=None):
    """Tier discount, coupon and points for an order, the coupon locked and the points held,
    in one transaction. Idempotent per ``order_id``."""
    tenant_id = caller.require_tenant()
    data = load(CHECKOUT_INPUT, payload)
    if caller.role == "member" and caller.member_id != data["member_id"]:
        raise Forbidden("A member checks out only their own orders.")
    member = ledger.lock_member(session, tenant_id, data["member_id"])
    if member is None:
        raise NotFound("No such member.", {"member_id": data["member_id"]})
    if member.status != "active":  # admission: a pending (or rejected) member cannot order yet
        pending = member.status == "pending"
        raise Forbidden(
            "Your membership is waiting for the leader's approval."
            if pending
            else "Your membership was not approved.",
            {"reason": "member_pending" if pending else "member_rejected"},
        )
    existing = session.get(
        Checkout, data["order_id"]
    )  # read after the lock: a concurrent try is done
    if existing is not None:
        if existing.tenant_id != tenant_id or existing.member_id != data["member_id"]:
            raise Conflict(
                "This order id belongs to another checkout.", {"reason": "checkout_mismatch"}
            )
        if existing.status == "released":
            raise Conflict(
                "This checkout was released; start a new order.", {"reason": "checkout_released"}
            )
        return checkout_view(existing)

    now = now or utcnow()
    subtotal = data["subtotal_cents"]
    community_settings = settings.for_tenant(session, tenant_id)
    spent, oldest_counted = tiers.tier_window(session, tenant_id, member.id, now)
    tier = tiers.tier_for(community_settings["tiers"], spent)
    checkout = Checkout(
        order_id=data["order_id"],
        tenant_id=tenant_id,
        member_id=member.id,
        status="held",
        subtotal_cents=subtotal,
        tier_name=tier["name"] or None,
        tier_discount_cents=subtotal * tier["discount_percent"] // 100,
    )
    remaining = subtotal - checkout.tier_discount_cents

    if data["coupon_id"] is not None:
        coupon = session.get(Coupon, data["coupon_id"])
        if coupon is None or coupon.tenant_id != tenant_id or coupon.member_id != member.id:
            raise NotFound(
                "No such coupon in your wallet.",
                {"coupon_id": data["coupon_id"], "errors": {"coupon_id": ["Not your coupon."]}},
            )
        if coupon.status != "available":
            raise _coupon_problem(
                "coupon_unavailable",
                "This coupon is already used or in another order.",
                status_now=coupon.status,
            )
        if coupon.valid_until <= now:
            raise _coupon_problem(
                "coupon_expired",
                "This coupon has expired.",
                valid_until=coupon.valid_until.isoformat(),
            )
        if coupon.valid_from > now:
            raise _coupon_problem(
                "coupon_not_yet_valid",
                "This coupon is not valid yet.",
                valid_from=coupon.valid_from.isoformat(),
            )
        if remaining < coupon.min_spend_cents:
            raise _coupon_problem(
                "coupon_min_spend",
                "The order does not reach this coupon's minimum spend.",
                min_spend_cents=coupon.min_spend_cents,
                amount_cents=remaining,
            )
        if not coupons.lock(session, coupon.id, checkout.order_id):
            raise _coupon_problem(
                "coupon_unavailable", "This coupon is already used or in another order."
            )
        checkout.coupon_id = coupon.id
        checkout.coupon_discount_cents = coupons.coupon_discount(coupon, remaining)
        remaining -= checkout.coupon_discount_cents

    points = data["points_to_use"]
    if points:
        available = ledger.balance(session, tenant_id, member.id)
        if points > available:
            raise Conflict(
                "You do not have that many points.",
                {
                    "reason": "points_insufficient",
                    "balance": available,
                    "errors": {"points_to_use": [f"At most {available}."]},
                },
            )
        limit = remaining * community_settings["max_points_ratio_percent"] // 100
        if points > limit:
            raise Conflict(
                "Points may pay only part of this order.",
                {
                    "reason": "points_over_limit",
                    "max_points": limit,
                    "errors": {"points_to_use": [f"At most {limit} for this order."]},
                },
            )
        checkout.points_used = points
        ledger.hold(session, checkout, points)
        remaining -= points

    checkout.total_cents = remaining
    session.add(checkout)
    session.flush()
    return {**checkout_view(checkout), "terms": tiers.checkout_terms(tier, oldest_counted, now)}


def _move(session, checkout, from_status, to_status, **values):
    """Compare-and-set of the checkout's status: whether this call moved it (else ``checkout``
    is refreshed: someone else moved it first)."""
    moved = (
        session.execute(
            update(Checkout)
            .where(Checkout.order_id == checkout.order_id, Checkout.status == from_status)
            .values(status=to_status, **values)
            .execution_options(synchronize_session="fetch")
        ).rowcount
        == 1
    )
    if not moved:
        session.refresh(checkout)
    return moved


def _release_hold(session, checkout, reason):
    """An unpaid order's hold comes back: the coupon unlocked, the points released (less any a
    refund already gave back: events of different types may arrive out of order). Once."""
    back = checkout.points_used - checkout.points_returned
    if not _move(session, checkout, "held", "released", points_returned=checkout.points_used):
        return
    if back > 0:
        ledger.release(session, checkout, back, reason)
    if checkout.coupon_id is not None:
        coupons.release(session, checkout.coupon_id, checkout.order_id)


def release_checkout(session, caller, order_id):
    """Give back what an order attempt held (the attempt never became an order). Idempotent;
    releasing an order id never seen leaves a marker so a late checkout for it holds nothing.
    Called by orders for the member whose attempt failed, or by its sweeper (role system)."""
    tenant_id = caller.require_tenant()
    if caller.role not in ("member", "system"):
        raise Forbidden("Only the order attempt's member or the system releases a checkout.")
    if not isinstance(order_id, str) or not 1 <= len(order_id) <= 32:
        raise NotFound("No such checkout.")
    checkout = session.get(Checkout, order_id)
    if (
        checkout is not None
        and caller.role == "member"
        and checkout.member_id not in (None, caller.member_id)
    ):
        raise NotFound("No such checkout.")
    if checkout is None:
        try:
            with session.begin_nested():  # the marker; a checkout made at this moment wins
                checkout = Checkout(
                    order_id=order_id, tenant_id=tenant_id, member_id=None, status="released"
                )
                session.add(checkout)
        except IntegrityError:
            return release_checkout(session, caller, order_id)
    elif checkout.tenant_id != tenant_id:
        raise NotFound("No such checkout.")
    elif checkout.status == "held":
        ledger.lock_member(session, tenant_id, checkout.member_id)
        session.refresh(checkout)  # as it is now that the member's turn is ours
        _release_hold(session, checkout, "order_abandoned")
    session.flush()
    return {"order_id": order_id, "status": checkout.status}


# --- order events ----------------------------------------------------------------------------


def _checkout_for(session, event, data):
    """The order's checkout; an order placed before loyalty existed gets one, as paid."""
    checkout = session.get(Checkout, data["order_id"])
    if checkout is not None and checkout.tenant_id != event["tenant_id"]:
        raise NotFound("An order event of another community.", {"order_id": data["order_id"]})
    if checkout is not None and checkout.member_id is not None:
        ledger.lock_member(session, checkout.tenant_id, checkout.member_id)
        session.refresh(checkout)  # as it is now that the member's turn is ours
        return checkout
    if checkout is None:
        checkout = Checkout(order_id=data["order_id"], tenant_id=event["tenant_id"])
        session.add(checkout)
    checkout.member_id, checkout.status = data["member_id"], "spent"
    checkout.subtotal_cents = checkout.total_cents = data["total_cents"]
    ledger.lock_member(session, checkout.tenant_id, checkout.member_id)
    return checkout


@inbox_consumer("services.crm.loyalty:on_order_paid")
def on_order_paid(session, event):
    """The hold becomes final: the coupon is redeemed, the held points spent."""
    data = load(ORDER_DATA, event["data"])
    checkout = _checkout_for(session, event, data)
    if not _move(session, checkout, "held", "spent"):
        return
    if checkout.points_used:
        ledger.mark_spent(session, checkout)
    if checkout.coupon_id is not None:
        coupons.commit(session, checkout.coupon_id, checkout.order_id)


@inbox_consumer("services.crm.loyalty:on_order_cancelled")
def on_order_cancelled(session, event):
    """Coupon and points come back: released if unpaid; if the order was paid (and so refunded in
    full), the spent points are returned and the coupon is usable again."""
    data = load(ORDER_DATA, event["data"])
    checkout = _checkout_for(session, event, data)
    if checkout.status == "held":
        _release_hold(session, checkout, "order_cancelled")
        return
    back = checkout.points_used - checkout.points_returned
    if checkout.status != "spent" or not _move(
        session, checkout, "spent", "released", points_returned=checkout.points_used
    ):
        return
    if back > 0:
        ledger.give_back(session, checkout, back, checkout.points_used, "order_cancelled")
    if checkout.coupon_id is not None:
        coupons.release(session, checkout.coupon_id, checkout.order_id, ("locked", "redeemed"))


@inbox_consumer("services.crm.loyalty:on_order_completed")
def on_order_completed(session, event):
    """Points for a completed order: floor(paid yuan x points_per_yuan), once."""
    data = load(ORDER_DATA, event["data"])
    checkout = _checkout_for(session, event, data)
    if checkout.points_earned:
        return
    per_yuan = settings.for_tenant(session, checkout.tenant_id)["points_per_yuan"]
    earned = data["total_cents"] * per_yuan // 100
    if earned > 0:
        ledger.earn(session, checkout, earned)
        checkout.points_earned = earned
        _settle_refunds(session, checkout, data["total_cents"], whole=False)


@inbox_consumer("services.crm.loyalty:on_order_refunded")
def on_order_refunded(session, event):
    """Take back earned points and give back spent points in proportion to the money refunded."""
    data = load(ORDER_DATA, event["data"])
    checkout = _checkout_for(session, event, data)
    checkout.refunded_cents = max(checkout.refunded_cents, data["refunded_total_cents"])
    _settle_refunds(session, checkout, data["total_cents"], whole=data["whole"])


def _settle_refunds(session, checkout, paid_cents, whole):
    refunded = checkout.refunded_cents
    if refunded <= 0 and not whole:
        return
    whole = whole or paid_cents <= 0 or refunded >= paid_cents

    def share(points):
        return points if whole else points * refunded // paid_cents

    give_back = share(checkout.points_used) - checkout.points_returned
    if give_back > 0:
        target = checkout.points_returned + give_back
        ledger.give_back(session, checkout, give_back, target, "refund")
        checkout.points_returned = target
    take_back = share(checkout.points_earned) - checkout.points_reversed
    if take_back > 0:
        target = checkout.points_reversed + take_back
        can_take = min(
            take_back, max(ledger.balance(session, checkout.tenant_id, checkout.member_id), 0)
        )
        reason = (
            "refund"
            if can_take == take_back
            else (
                f"refund: {take_back - can_take} of {take_back} points could not be taken back "
                "(balance too low)"
            )
        )
        ledger.take_back(session, checkout, can_take, target, reason)
        checkout.points_reversed = target
