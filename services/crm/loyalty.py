"""Loyalty (会员权益): points (积分), tiers (会员等级) and coupons (优惠券), and what they do
to an order at checkout (结算).

Points ledger
-------------
``PointsEntry`` rows are only ever added. A member's balance is the sum of their deltas and is
exactly what they can spend now:

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
    awarded     +    another feature's reward (an approved purchase showcase), once per its key
    redeemed    -    points spent on a reward of the catalogue (``services.crm.rewards``)

Why a hold is a negative row rather than a flag: the balance stays a plain sum that is always
safe to spend, and paying changes no row. What one order holds, earned and gave back is kept
beside the ledger in its ``Checkout`` row (one per order id).

Every row has an ``entry_key`` unique in the community (``held:<order>``, ``earned:<order>``,
``reversed:<target>:<order>``...), so an effect happens once even if an event arrives twice.

Checkout
--------
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
"""

from datetime import timedelta

from marshmallow import ValidationError, fields, validate, validates_schema
from sqlalchemy import func, select, update

from services.crm import events, settings
from services.crm.models import Checkout, Coupon, Member, PointsEntry, Purchase
from services.infra.db import get_in_community, new_id, newest_first, utcnow
from services.infra.errors import Conflict, Forbidden, NotFound
from services.infra.messaging import emit, inbox_consumer
from services.infra.schemas import Int, PageSchema, StrictSchema, Text, decode_cursor, load, page

TIER_WINDOW = timedelta(days=365)
TERMS_TTL = timedelta(days=1)
COUPON_SOURCES = ("campaign", "referral", "birthday", "reward", "compensation", "manual")
MAX_COUPON_CENTS = 100_000_000


# --- schemas ---------------------------------------------------------------------------------

class CouponSpec(StrictSchema):
    """What a coupon is worth and for how long: fixed ``amount_cents`` off, or ``percent`` off
    capped at ``cap_cents``; usable from a minimum spend, for ``valid_days`` from now."""

    kind = fields.String(required=True, validate=validate.OneOf(["fixed", "percent"]))
    amount_cents = Int(1, MAX_COUPON_CENTS)
    percent = Int(1, 90)
    cap_cents = Int(1, MAX_COUPON_CENTS)
    min_spend_cents = Int(0, MAX_COUPON_CENTS, load_default=0)
    valid_days = Int(1, 3650, required=True)

    @validates_schema
    def _fields_of_kind(self, data, **kwargs):
        errors = {}
        if data["kind"] == "fixed":
            if "amount_cents" not in data:
                errors["amount_cents"] = ["Required for a fixed coupon."]
            for field in ("percent", "cap_cents"):
                if field in data:
                    errors[field] = ["Only for a percent coupon."]
        else:
            for field in ("percent", "cap_cents"):
                if field not in data:
                    errors[field] = ["Required for a percent coupon."]
            if "amount_cents" in data:
                errors["amount_cents"] = ["Only for a fixed coupon."]
        if errors:
            raise ValidationError(errors)


class AdjustInput(StrictSchema):
    delta = Int(-10**7, 10**7, required=True)
    reason = Text(200)

    @validates_schema
    def _not_zero(self, data, **kwargs):
        if data.get("delta") == 0:
            raise ValidationError("Must not be 0.", "delta")


class CouponQuery(PageSchema):
    status = fields.String(load_default="available",
                           validate=validate.OneOf(["available", "locked", "redeemed", "expired", "all"]))


class CheckoutInput(StrictSchema):
    order_id = Text(32)
    member_id = Text(32)
    subtotal_cents = Int(0, 10**10, required=True)
    coupon_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=32))
    points_to_use = Int(0, 10**7, load_default=0)


COUPON_SPEC, COUPON_QUERY, CHECKOUT_INPUT = CouponSpec(), CouponQuery(), CheckoutInput()
ADJUST_INPUT = AdjustInput()
LEDGER_QUERY, ORDER_DATA = PageSchema(), events.OrderMoneyData()


# --- points ----------------------------------------------------------------------------------

def balance(session, tenant_id, member_id):
    """Points the member can spend now (holds are already taken out)."""
    return int(session.scalar(select(func.coalesce(func.sum(PointsEntry.delta), 0)).where(
        PointsEntry.tenant_id == tenant_id, PointsEntry.member_id == member_id)))


def held(session, tenant_id, member_id):
    """Points held by unpaid orders (already out of the balance)."""
    return int(session.scalar(select(func.coalesce(func.sum(Checkout.points_used), 0)).where(
        Checkout.tenant_id == tenant_id, Checkout.member_id == member_id, Checkout.status == "held")))


def _entry(session, checkout, kind, delta, key, reason=""):
    session.add(PointsEntry(tenant_id=checkout.tenant_id, member_id=checkout.member_id, delta=delta, kind=kind,
                            order_id=checkout.order_id, entry_key=f"{key}:{checkout.order_id}", reason=reason))


def lock_member(session, tenant_id, member_id):
    """The member, locked: checkouts and reversals of one member take turns on the balance."""
    member = session.scalars(
        select(Member).where(Member.id == member_id, Member.tenant_id == tenant_id).with_for_update()
    ).first()
    return member


def _entry_view(entry):
    return {"id": entry.id, "delta": entry.delta, "kind": entry.kind, "order_id": entry.order_id,
            "reason": entry.reason, "created_at": entry.created_at.isoformat()}


def my_points(session, caller, query):
    """The member's balance, what unpaid orders hold, and the ledger, newest first."""
    caller.require_member()
    params = load(LEDGER_QUERY, query)
    statement = select(PointsEntry).where(PointsEntry.tenant_id == caller.tenant_id,
                                          PointsEntry.member_id == caller.member_id)
    statement = newest_first(statement, PointsEntry, decode_cursor(params["cursor"]), params["limit"])
    ledger = page([_entry_view(entry) for entry in session.scalars(statement)], params["limit"])
    return {"balance": balance(session, caller.tenant_id, caller.member_id),
            "held": held(session, caller.tenant_id, caller.member_id), **ledger}


def adjust_points(session, caller, member_id, payload):
    """The leader adds or takes away points by hand (a goodwill gesture, a correction), with a
    reason the member sees. Never below a zero balance."""
    caller.require_staff()
    data = load(ADJUST_INPUT, payload)
    get_in_community(session, Member, member_id, caller.tenant_id, "No such member.", "member_id",
                     with_for_update=True)  # one member's points take turns
    available = balance(session, caller.tenant_id, member_id)
    if available + data["delta"] < 0:
        raise Conflict("That would take the balance below zero.",
                       {"reason": "points_insufficient", "balance": available,
                        "errors": {"delta": [f"At least {-available}."]}})
    session.add(PointsEntry(tenant_id=caller.tenant_id, member_id=member_id, delta=data["delta"], kind="adjusted",
                            entry_key=f"adjusted:{new_id()}", reason=data["reason"]))
    session.flush()
    return {"member_id": member_id, "balance": available + data["delta"]}


def award_points(session, tenant_id, member_id, points, entry_key, reason, order_id=None):
    """Points another feature gives (e.g. an approved showcase), once per ``entry_key``.
    Returns whether this call added them (``False``: already awarded, or nothing to give)."""
    if points <= 0:
        return False
    exists = session.scalars(select(PointsEntry).where(
        PointsEntry.tenant_id == tenant_id, PointsEntry.entry_key == entry_key)).first()
    if exists is not None:
        return False
    session.add(PointsEntry(tenant_id=tenant_id, member_id=member_id, delta=points, kind="awarded",
                            order_id=order_id, entry_key=entry_key, reason=reason))
    session.flush()
    return True


# --- tiers -----------------------------------------------------------------------------------

def _tier_window(session, tenant_id, member_id, now):
    """What the member paid in the last 365 days, less refunds (from crm's purchase history),
    and when the oldest purchase counted was placed."""
    spent, oldest = session.execute(
        select(func.coalesce(func.sum(Purchase.total_cents - Purchase.refunded_cents), 0), func.min(Purchase.placed_at))
        .where(Purchase.tenant_id == tenant_id, Purchase.member_id == member_id,
               Purchase.status.in_(("paid", "refunded")), Purchase.placed_at >= now - TIER_WINDOW)
    ).one()
    return max(int(spent), 0), oldest


def trailing_spend(session, tenant_id, member_id, now=None):
    return _tier_window(session, tenant_id, member_id, now or utcnow())[0]


def tier_for(tiers, spend_cents):
    """The highest tier whose minimum spend is reached (tiers are in increasing order)."""
    reached = [tier for tier in tiers if tier["min_spend_cents"] <= spend_cents]
    tier = reached[-1] if reached else {"name": "", "discount_percent": 0}
    return {"name": tier["name"], "discount_percent": tier["discount_percent"]}


def member_tier_of(session, tenant_id, spend_cents):
    return tier_for(settings.for_tenant(session, tenant_id)["tiers"], spend_cents)


def member_tier(session, tenant_id, member_id, now=None):
    return member_tier_of(session, tenant_id, trailing_spend(session, tenant_id, member_id, now))


def _checkout_terms(tier, oldest_counted, now):
    """What orders may remember to price an order without coupon or points by itself: the tier
    discount, and until when it surely holds: when the oldest purchase counted leaves the
    window (the tier may drop), at most a day (a change orders missed heals by itself). Any
    other change comes as ``checkout_terms_changed`` (``announce_terms_change``)."""
    until = now + TERMS_TTL
    if oldest_counted is not None:
        until = min(until, oldest_counted + TIER_WINDOW)
    return {"discount_percent": tier["discount_percent"], "valid_until": until.isoformat()}


def announce_terms_change(session, tenant_id, member_id, discount_before):
    """After the member's spend changed: tell orders if their tier discount did."""
    if member_tier(session, tenant_id, member_id)["discount_percent"] != discount_before:
        emit(session, events.CHECKOUT_TERMS_CHANGED, {"member_id": member_id}, tenant_id=tenant_id)


def member_summary(session, tenant_id, member_id):
    """What ``GET /me`` shows of loyalty: points and tier."""
    spend = trailing_spend(session, tenant_id, member_id)
    tier = member_tier_of(session, tenant_id, spend)
    return {"points": balance(session, tenant_id, member_id), "points_held": held(session, tenant_id, member_id),
            "tier": {**tier, "spend_cents": spend}}


# --- coupons ---------------------------------------------------------------------------------

def coupon_status(coupon, now):
    """``expired`` is not stored: an available coupon past its window simply is."""
    if coupon.status == "available" and coupon.valid_until <= now:
        return "expired"
    return coupon.status


def coupon_view(coupon, now=None):
    return {"id": coupon.id, "member_id": coupon.member_id, "kind": coupon.kind,
            "amount_cents": coupon.amount_cents if coupon.kind == "fixed" else None,
            "percent": coupon.percent if coupon.kind == "percent" else None, "cap_cents": coupon.cap_cents,
            "min_spend_cents": coupon.min_spend_cents, "valid_from": coupon.valid_from.isoformat(),
            "valid_until": coupon.valid_until.isoformat(), "status": coupon_status(coupon, now or utcnow()),
            "source": coupon.source, "created_at": coupon.created_at.isoformat()}


def issue_coupon(session, tenant_id, member_id, spec, source, source_key, now=None):
    """Put a coupon in a member's wallet: the use case campaigns, referral rewards, birthday
    greetings, rewards redemption and after-sale compensation call. Idempotent on
    ``source_key``: the same key answers the coupon issued the first time."""
    if source not in COUPON_SOURCES:
        raise ValueError(f"unknown coupon source {source!r}")
    data = load(COUPON_SPEC, spec)
    existing = session.scalars(
        select(Coupon).where(Coupon.tenant_id == tenant_id, Coupon.source_key == source_key)).first()
    if existing is not None:
        return existing
    now = now or utcnow()
    coupon = Coupon(id=new_id(), tenant_id=tenant_id, member_id=member_id, kind=data["kind"],
                    amount_cents=data.get("amount_cents", 0), percent=data.get("percent", 0),
                    cap_cents=data.get("cap_cents"), min_spend_cents=data["min_spend_cents"],
                    valid_from=now, valid_until=now + timedelta(days=data["valid_days"]), status="available",
                    source=source, source_key=source_key, created_at=now)
    session.add(coupon)
    session.flush()
    return coupon


def issue_coupon_by_hand(session, caller, member_id, payload):
    """The leader gives a member a coupon (e.g. as thanks or an apology)."""
    caller.require_staff()
    get_in_community(session, Member, member_id, caller.tenant_id, "No such member.", "member_id")
    coupon = issue_coupon(session, caller.tenant_id, member_id, payload, "manual", f"manual:{new_id()}")
    return coupon_view(coupon)


def revoke_coupon(session, tenant_id, source_key):
    """Take back an issued coupon (a referral reward whose order was refunded) if it is still
    unused: only an ``available`` one becomes ``revoked``; one locked in an order or redeemed
    stays. Returns the coupon's status afterwards (``None`` if none was issued)."""
    coupon = session.scalars(
        select(Coupon).where(Coupon.tenant_id == tenant_id, Coupon.source_key == source_key)).first()
    if coupon is None:
        return None
    session.execute(update(Coupon).where(Coupon.id == coupon.id, Coupon.status == "available")
                    .values(status="revoked").execution_options(synchronize_session="fetch"))
    return coupon.status


def my_coupons(session, caller, query):
    """The member's wallet, by status (available by default), newest first."""
    caller.require_member()
    params = load(COUPON_QUERY, query)
    now = utcnow()
    statement = select(Coupon).where(Coupon.tenant_id == caller.tenant_id, Coupon.member_id == caller.member_id)
    status = params["status"]
    if status == "available":
        statement = statement.where(Coupon.status == "available", Coupon.valid_until > now)
    elif status == "expired":
        statement = statement.where(Coupon.status == "available", Coupon.valid_until <= now)
    elif status != "all":
        statement = statement.where(Coupon.status == status)
    statement = newest_first(statement, Coupon, decode_cursor(params["cursor"]), params["limit"])
    return page([coupon_view(coupon, now) for coupon in session.scalars(statement)], params["limit"])


def coupon_discount(coupon, amount_cents):
    """What ``coupon`` takes off ``amount_cents`` (never more than the amount)."""
    if coupon.kind == "fixed":
        return min(coupon.amount_cents, amount_cents)
    off = amount_cents * coupon.percent // 100
    if coupon.cap_cents is not None:
        off = min(off, coupon.cap_cents)
    return min(off, amount_cents)


# --- checkout --------------------------------------------------------------------------------

def checkout_view(checkout):
    points_discount = checkout.points_used  # 1 point = 1 fen
    discount = checkout.tier_discount_cents + checkout.coupon_discount_cents + points_discount
    return {"order_id": checkout.order_id, "status": checkout.status, "subtotal_cents": checkout.subtotal_cents,
            "tier_name": checkout.tier_name, "tier_discount_cents": checkout.tier_discount_cents,
            "coupon_id": checkout.coupon_id, "coupon_discount_cents": checkout.coupon_discount_cents,
            "points_used": checkout.points_used, "points_discount_cents": points_discount,
            "discount_cents": discount, "total_cents": checkout.total_cents}


def _coupon_problem(reason, detail, **facts):
    return Conflict(detail, {"reason": reason, "errors": {"coupon_id": [detail]}, **facts})


def apply_checkout(session, caller, payload, now=None):
    """Tier discount, coupon and points for an order, the coupon locked and the points held,
    in one transaction. Idempotent per ``order_id``."""
    tenant_id = caller.require_tenant()
    data = load(CHECKOUT_INPUT, payload)
    if caller.role == "member" and caller.member_id != data["member_id"]:
        raise Forbidden("A member checks out only their own orders.")
    member = lock_member(session, tenant_id, data["member_id"])
    if member is None:
        raise NotFound("No such member.", {"member_id": data["member_id"]})
    if member.status != "active":  # admission: a pending (or rejected) member cannot order yet
        pending = member.status == "pending"
        raise Forbidden("Your membership is waiting for the leader's approval." if pending
                        else "Your membership was not approved.",
                        {"reason": "member_pending" if pending else "member_rejected"})
    existing = session.get(Checkout, data["order_id"])  # read after the lock: a concurrent try is done
    if existing is not None:
        if existing.tenant_id != tenant_id or existing.member_id != data["member_id"]:
            raise Conflict("This order id belongs to another checkout.", {"reason": "checkout_mismatch"})
        if existing.status == "released":
            raise Conflict("This checkout was released; start a new order.", {"reason": "checkout_released"})
        return checkout_view(existing)

    now = now or utcnow()
    subtotal = data["subtotal_cents"]
    community_settings = settings.for_tenant(session, tenant_id)
    spent, oldest_counted = _tier_window(session, tenant_id, member.id, now)
    tier = tier_for(community_settings["tiers"], spent)
    checkout = Checkout(order_id=data["order_id"], tenant_id=tenant_id, member_id=member.id, status="held",
                        subtotal_cents=subtotal, tier_name=tier["name"] or None,
                        tier_discount_cents=subtotal * tier["discount_percent"] // 100)
    remaining = subtotal - checkout.tier_discount_cents

    if data["coupon_id"] is not None:
        coupon = session.get(Coupon, data["coupon_id"])
        if coupon is None or coupon.tenant_id != tenant_id or coupon.member_id != member.id:
            raise NotFound("No such coupon in your wallet.",
                           {"coupon_id": data["coupon_id"], "errors": {"coupon_id": ["Not your coupon."]}})
        if coupon.status != "available":
            raise _coupon_problem("coupon_unavailable", "This coupon is already used or in another order.",
                                  status_now=coupon.status)
        if coupon.valid_until <= now:
            raise _coupon_problem("coupon_expired", "This coupon has expired.",
                                  valid_until=coupon.valid_until.isoformat())
        if coupon.valid_from > now:
            raise _coupon_problem("coupon_not_yet_valid", "This coupon is not valid yet.",
                                  valid_from=coupon.valid_from.isoformat())
        if remaining < coupon.min_spend_cents:
            raise _coupon_problem("coupon_min_spend", "The order does not reach this coupon's minimum spend.",
                                  min_spend_cents=coupon.min_spend_cents, amount_cents=remaining)
        locked = session.execute(
            update(Coupon).where(Coupon.id == coupon.id, Coupon.status == "available")
            .values(status="locked", locked_order_id=checkout.order_id)
            .execution_options(synchronize_session="fetch")
        ).rowcount
        if locked != 1:
            raise _coupon_problem("coupon_unavailable", "This coupon is already used or in another order.")
        checkout.coupon_id = coupon.id
        checkout.coupon_discount_cents = coupon_discount(coupon, remaining)
        remaining -= checkout.coupon_discount_cents

    points = data["points_to_use"]
    if points:
        available = balance(session, tenant_id, member.id)
        if points > available:
            raise Conflict("You do not have that many points.",
                           {"reason": "points_insufficient", "balance": available,
                            "errors": {"points_to_use": [f"At most {available}."]}})
        limit = remaining * community_settings["max_points_ratio_percent"] // 100
        if points > limit:
            raise Conflict("Points may pay only part of this order.",
                           {"reason": "points_over_limit", "max_points": limit,
                            "errors": {"points_to_use": [f"At most {limit} for this order."]}})
        checkout.points_used = points
        _entry(session, checkout, "held", -points, "held", "checkout")
        remaining -= points

    checkout.total_cents = remaining
    session.add(checkout)
    session.flush()
    return {**checkout_view(checkout), "terms": _checkout_terms(tier, oldest_counted, now)}


def _give_back(session, checkout, reason):
    """An unpaid order's hold comes back: the coupon unlocked, the points released (less any a
    refund already gave back: events of different types may arrive out of order)."""
    back = checkout.points_used - checkout.points_returned
    if back > 0:
        _entry(session, checkout, "released", back, "released", reason)
        checkout.points_returned = checkout.points_used
    _unlock_coupon(session, checkout, ("locked",))
    checkout.status = "released"


def _unlock_coupon(session, checkout, from_statuses):
    if checkout.coupon_id is None:
        return
    coupon = session.get(Coupon, checkout.coupon_id)
    if coupon is not None and coupon.status in from_statuses and coupon.locked_order_id == checkout.order_id:
        coupon.status, coupon.locked_order_id, coupon.redeemed_at = "available", None, None


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
    if checkout is not None and caller.role == "member" and checkout.member_id not in (None, caller.member_id):
        raise NotFound("No such checkout.")
    if checkout is None:
        checkout = Checkout(order_id=order_id, tenant_id=tenant_id, member_id=None, status="released")
        session.add(checkout)
    elif checkout.tenant_id != tenant_id:
        raise NotFound("No such checkout.")
    elif checkout.status == "held":
        lock_member(session, tenant_id, checkout.member_id)
        _give_back(session, checkout, "order_abandoned")
    session.flush()
    return {"order_id": order_id, "status": checkout.status}


# --- order events ----------------------------------------------------------------------------

def _checkout_for(session, event, data):
    """The order's checkout; an order placed before loyalty existed gets one, as paid."""
    checkout = session.get(Checkout, data["order_id"])
    if checkout is not None and checkout.tenant_id != event["tenant_id"]:
        raise NotFound("An order event of another community.", {"order_id": data["order_id"]})
    if checkout is None or checkout.member_id is None:
        if checkout is None:
            checkout = Checkout(order_id=data["order_id"], tenant_id=event["tenant_id"])
            session.add(checkout)
        checkout.member_id, checkout.status = data["member_id"], "spent"
        checkout.subtotal_cents = checkout.total_cents = data["total_cents"]
    lock_member(session, checkout.tenant_id, checkout.member_id)
    return checkout


@inbox_consumer("services.crm.loyalty:on_order_paid")
def on_order_paid(session, event):
    """The hold becomes final: the coupon is redeemed, the held points spent."""
    data = load(ORDER_DATA, event["data"])
    checkout = _checkout_for(session, event, data)
    if checkout.status != "held":
        return
    checkout.status = "spent"
    if checkout.points_used:
        _entry(session, checkout, "spent", 0, "spent", f"{checkout.points_used} points paid the order")
    if checkout.coupon_id is not None:
        coupon = session.get(Coupon, checkout.coupon_id)
        if coupon is not None and coupon.locked_order_id == checkout.order_id:
            coupon.status, coupon.redeemed_at = "redeemed", utcnow()


@inbox_consumer("services.crm.loyalty:on_order_cancelled")
def on_order_cancelled(session, event):
    """Coupon and points come back: released if unpaid; if the order was paid (and so refunded in
    full), the spent points are returned and the coupon is usable again."""
    data = load(ORDER_DATA, event["data"])
    checkout = _checkout_for(session, event, data)
    if checkout.status == "held":
        _give_back(session, checkout, "order_cancelled")
    elif checkout.status == "spent":
        back = checkout.points_used - checkout.points_returned
        if back > 0:
            _entry(session, checkout, "returned", back, f"returned:{checkout.points_used}", "order_cancelled")
            checkout.points_returned = checkout.points_used
        _unlock_coupon(session, checkout, ("locked", "redeemed"))
        checkout.status = "released"


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
        _entry(session, checkout, "earned", earned, "earned", "order_completed")
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
        _entry(session, checkout, "returned", give_back, f"returned:{target}", "refund")
        checkout.points_returned = target
    take_back = share(checkout.points_earned) - checkout.points_reversed
    if take_back > 0:
        target = checkout.points_reversed + take_back
        can_take = min(take_back, max(balance(session, checkout.tenant_id, checkout.member_id), 0))
        reason = "refund" if can_take == take_back else (
            f"refund: {take_back - can_take} of {take_back} points could not be taken back (balance too low)")
        _entry(session, checkout, "reversed", -can_take, f"reversed:{target}", reason)
        checkout.points_reversed = target
