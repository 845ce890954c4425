"""Order use cases: plain functions; remote steps come in as arguments (``catalog``, ``crm``).

Placing an order is a small saga: remember the idempotency key, reserve stock in catalog
(idempotent per order id), apply the member's tier discount, coupon and points in crm (which
locks the coupon and holds the points, idempotent per order id too; an order without coupon or
points skips crm while orders knows the member's tier discount, see ``checkout_terms``), then
write the order and its ``order_placed`` event in one transaction. If a step fails, what the
earlier steps took is released (stock and crm's checkout); if releasing fails too, the sweeper
finishes the job. Orders arrive in batches (``place_orders``): each step runs once for a batch.
"""

import functools
import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, delete, func, insert, or_, select
from sqlalchemy.exc import IntegrityError

from services.infra import idempotency
from services.infra.batches import together_or_each
from services.infra.context import Caller
from services.infra.db import ROW_LOCK, get_in_community, new_id, newest_first, utcnow
from services.infra.errors import (
    DomainError,
    Forbidden,
    Invalid,
    ServiceUnavailable,
    error_outcome,
    value_of,
)
from services.infra.messaging import emit
from services.infra.schemas import decode_cursor, load, page
from services.orders import checkout_terms, community_status, events, lifecycle
from services.orders.models import IdempotencyKey, Order, OrderLine, OrderStatusChange
from services.orders.schemas import (
    ORDER,
    ORDER_ATTEMPTS,
    ORDER_QUERY,
    PAID_ORDERS_QUERY,
    PLACE_ORDER_INPUT,
)

log = logging.getLogger(__name__)

# A live price is an impulse: its quota comes back to the room sooner if the buyer does not pay.
PAYMENT_WINDOW = {
    "shop": timedelta(minutes=30),
    "wave": timedelta(minutes=30),
    "live": timedelta(minutes=15),
}
# Far beyond any RPC deadline: an attempt this old without an order will never get one.
ABANDONED_AFTER = timedelta(minutes=2)
# How long an ``Idempotency-Key`` is remembered once its order exists, like the best payment
# APIs: a retry within a day gets the first answer; the same key after that is a new request.
IDEMPOTENCY_KEY_RETENTION = timedelta(hours=24)
# The staff's keys (a compensation's refund, ``compensation:<id>``, is retried by fulfilment
# until it lands) are kept for a month: money given back must not be given twice.
STAFF_KEY_RETENTION = timedelta(days=30)
STAFF_KEYS = "staff"  # the owner of the staff's keys (``key_owner``)
EXPIRED_KEYS_BATCH = 500
# Money columns are 32-bit integers of fen on every engine: keep far below 2**31.
MAX_ORDER_CENTS = 100_000_000


def key_owner(caller):
    """Whose ``Idempotency-Key`` space a caller uses: a member's own; the community's staff
    share one (a compensation retried from another leader's session is the same request)."""
    return caller.member_id if caller.role == "member" else STAFF_KEYS


def _claimed_key(session, caller, key):
    return idempotency.find(session, IdempotencyKey, caller.tenant_id, key_owner(caller), key)


def _key_row(caller, key, data, order_id):
    """The ``idempotency_keys`` row of an order attempt. Without a client key the attempt is
    still recorded: the sweeper finds abandoned ones (``abandoned_attempts``)."""
    return {
        "tenant_id": caller.tenant_id,
        "member_id": key_owner(caller),
        "key": key if key is not None else f"auto:{order_id}",
        "request_hash": idempotency.fingerprint(data),
        "order_id": order_id,
    }


def claim_idempotency_key(session, caller, key, data):
    """The order id this request works on, and whether it is new: a new one, or the one a
    previous try with ``key`` chose (whose order may already exist).

    Commits on its own so that concurrent retries agree on one order id.
    """
    row = _key_row(caller, key, data, new_id())
    for _ in range(3):
        try:
            with session.begin():  # a plain insert: this runs for every order
                session.execute(insert(IdempotencyKey).values(row))
            return row["order_id"], True  # ours: no earlier try can have an order under it
        except IntegrityError:
            pass  # claimed before: by an earlier try, or a concurrent one
        with session.begin():
            claimed = _claimed_key(session, caller, row["key"])
        if claimed is not None:
            return idempotency.same_request(claimed, row["request_hash"]).order_id, False
        # Forgotten in between (expired, or its abandoned attempt released): claim it afresh.
    raise ServiceUnavailable("The Idempotency-Key could not be claimed. Please try again.")


def idempotent(session, caller, key, order_id, request, answer):
    """A payment call (pay, mark-paid, refund) under the client's ``Idempotency-Key``
    (``idempotency.run``): a refund and its key commit together; a key that placed an order is
    not a payment call's (409). Two concurrent tries collide on the key's unique constraint: run
    the call again (``db.in_transaction``) to get the first answer.

    With a key, the order's lock comes first: a concurrent try with the same key then waits for
    the first one and finds its answer, instead of being refused by the state the first one left."""
    if key is not None:
        visible_order(session, caller, order_id, lock=True)
    return idempotency.run(
        session,
        IdempotencyKey,
        caller.tenant_id,
        key_owner(caller),
        key,
        request,
        answer,
        order_id=order_id,
    )


def _existing_order(session, order_id):
    """The order a concurrent retry wrote, if any; read in a transaction of its own, as every
    step of ``place_orders`` is."""
    with session.begin():
        order = session.get(Order, order_id)
        return ORDER.dump(order) if order is not None else None


@dataclass
class Attempt:
    """One order of a batch, and how far it got: ``outcome`` is set once it is answered."""

    caller: Caller
    payload: dict
    key: str | None = None
    data: dict = None
    order_id: str = None
    lines: list = None
    subtotal: int = None
    outcome: dict = None


def attempts_from(attempts, deadline):
    """The ``Attempt``s of a ``place_orders`` call (``OrderAttempt``s); the batch's deadline is
    each one's."""
    return [
        Attempt(
            Caller(deadline=deadline, **attempt["caller"]),
            attempt["payload"],
            attempt["idempotency_key"],
        )
        for attempt in load(ORDER_ATTEMPTS, {"attempts": attempts})["attempts"]
    ]


def place_order(session, catalog, crm, caller, payload, idempotency_key=None):
    """One order: a batch of one (``place_orders``); its answer, or its error raised."""
    (outcome,) = place_orders(
        session,
        catalog,
        lambda _caller: (catalog, crm),
        [Attempt(caller, payload, idempotency_key)],
    )
    return value_of(outcome)


def place_orders(session, catalog, clients_for, attempts):
    """Place a batch of orders (what arrived together at one gateway process), each as if alone:
    one outcome per attempt, in order (``{"value": order}`` or ``{"error": ...}``, see
    ``errors.value_of``). Each step is done once for the whole batch: the keys claimed in one
    transaction, the stock reserved in one call to catalog (``catalog.reserve_stocks``), the
    orders written in one transaction; an attempt that does not fit (a key retried, an order crm
    must price) goes the way of a single order. So an order costs mostly its own rows, not
    messages and commits.

    ``catalog`` makes the batch call; ``clients_for(caller)`` gives the ``(catalog, crm)``
    acting for one attempt's member (releasing, crm's checkout).
    """
    for attempt in attempts:
        _settle(attempt, _checked, attempt)
    suspended = community_status.suspended_among(
        session, {a.caller.tenant_id for a in _open(attempts)}
    )
    for attempt in _open(attempts):
        _settle(attempt, community_status.check_active, suspended, attempt.caller.tenant_id)
    _claim_keys(session, _open(attempts))
    _reserve(session, catalog, clients_for, _open(attempts))
    _write_orders(session, clients_for, _open(attempts))
    return [attempt.outcome for attempt in attempts]


def _open(attempts):
    return [attempt for attempt in attempts if attempt.outcome is None]


def _settle(attempt, step, *args):
    """``step(*args)``; if it fails, that is the attempt's answer (one attempt's fault never
    fails the rest of its batch)."""
    try:
        return step(*args)
    except DomainError as exc:
        attempt.outcome = error_outcome(exc)
    except Exception:
        log.exception("order attempt %s failed", attempt.order_id)
        attempt.outcome = error_outcome(
            ServiceUnavailable("The order could not be placed. Please try again.")
        )
    return None


def _checked(attempt):
    attempt.caller.require_member()
    attempt.key = idempotency.checked_key(attempt.key)
    attempt.data = load(PLACE_ORDER_INPUT, attempt.payload)


def _claim_keys(session, attempts):
    """Each attempt's order id. The batch's keys are claimed in one transaction; if any was
    claimed before (a retry), each claims its own, and a retry whose order exists gets it."""
    for attempt in attempts:
        attempt.order_id = new_id()
    together_or_each(
        session,
        attempts,
        _insert_keys,
        functools.partial(_claim_key, session),
        errors=(IntegrityError,),
        what="order keys",
    )


def _insert_keys(session, attempts):
    # Plain inserts: this runs for every order.
    session.execute(
        insert(IdempotencyKey),
        [
            _key_row(attempt.caller, attempt.key, attempt.data, attempt.order_id)
            for attempt in attempts
        ],
    )
    return attempts


def _claim_key(session, attempt):
    claimed = _settle(
        attempt, claim_idempotency_key, session, attempt.caller, attempt.key, attempt.data
    )
    if claimed is not None:
        attempt.order_id, new = claimed
        existing = None if new else _existing_order(session, attempt.order_id)
        if existing is not None:
            attempt.outcome = {"value": existing}
    return attempt


def _reserve(session, catalog, clients_for, attempts):
    """Stock for the whole batch in one call to catalog; each attempt gets its lines or its
    refusal."""
    if not attempts:
        return
    requests = [
        {
            "caller": {
                "tenant_id": attempt.caller.tenant_id,
                "member_id": attempt.caller.member_id,
                "correlation_id": attempt.caller.correlation_id,
            },
            "reservation": {
                "reservation_key": attempt.order_id,
                "items": attempt.data["items"],
                "channel": attempt.data["channel"],
            },
        }
        for attempt in attempts
    ]
    outcomes = _settle(attempts[0], catalog.reserve_stocks, requests)
    if outcomes is None:  # what catalog may have reserved is the sweeper's (``release_abandoned``)
        for attempt in attempts[1:]:
            attempt.outcome = attempts[0].outcome
        return
    late = attempts[0].caller.deadline_passed()  # one deadline: the batch's
    for attempt, outcome in zip(attempts, outcomes, strict=True):
        reservation = _settle(attempt, value_of, outcome)
        if reservation is None:
            continue
        attempt.lines = reservation["lines"]
        attempt.subtotal = sum(
            line["unit_price_cents"] * line["quantity"] for line in attempt.lines
        )
        if attempt.subtotal > MAX_ORDER_CENTS:
            _settle(
                attempt,
                _abandon,
                session,
                clients_for,
                attempt,
                Invalid(
                    "An order cannot exceed 1,000,000 yuan.",
                    {"errors": {"items": ["Order too large."]}},
                ),
            )
        elif late:  # the client was already told this failed: undo, don't order
            _settle(
                attempt,
                _abandon,
                session,
                clients_for,
                attempt,
                ServiceUnavailable(
                    "Placing the order took too long; nothing was ordered. Please try again."
                ),
            )


def _abandon(session, clients_for, attempt, exc):
    _abandon_quietly(session, *clients_for(attempt.caller), attempt.order_id)
    raise exc


def _write_orders(session, clients_for, attempts):
    """The orders orders can price itself (no coupon or points, the tier discount known: see
    ``checkout_terms``) in one transaction; the others, or all if that transaction fails, one
    by one."""
    together = [attempt for attempt in attempts if not _uses_loyalty(attempt.data)]
    # If that transaction fails (e.g. a retry's order written meanwhile), each goes alone below.
    written = together_or_each(
        session, together, _locally_priced_orders, lambda _attempt: None, what="orders"
    )
    for attempt, order in zip(together, written, strict=True):
        if order is not None:
            attempt.outcome = {"value": ORDER.dump(order)}
    for attempt in _open(attempts):
        order = _settle(attempt, _place_alone, session, *clients_for(attempt.caller), attempt)
        if order is not None:
            attempt.outcome = {"value": order}


def _locally_priced_orders(session, attempts):
    """Each attempt's order if orders knows its member's tier discount, else ``None``."""
    # Every discount first: a query after an order was added would flush it on its own.
    percents = [_known_discount(session, attempt) for attempt in attempts]
    return [
        None if percent is None else _locally_priced_order(session, attempt, percent)
        for attempt, percent in zip(attempts, percents, strict=True)
    ]


def _uses_loyalty(data):
    """A coupon or points: only crm can price the order."""
    return data["coupon_id"] is not None or bool(data["points_to_use"])


def _known_discount(session, attempt):
    """The member's tier discount if orders knows it (``checkout_terms``), else ``None``."""
    return checkout_terms.discount_percent(
        session, attempt.caller.tenant_id, attempt.caller.member_id
    )


def _locally_priced_order(session, attempt, percent):
    """The order, priced by orders itself with the member's tier ``percent``."""
    return _new_order(
        session,
        attempt.caller,
        attempt.order_id,
        attempt.data,
        attempt.lines,
        attempt.subtotal,
        checkout_terms.local_checkout(attempt.subtotal, percent),
    )


def _place_alone(session, catalog, crm, attempt):
    """Price and write one reserved attempt in a transaction of its own; undo it if that fails."""
    try:
        order = _priced_order(session, crm, attempt)
    except IntegrityError:
        existing = _existing_order(
            session, attempt.order_id
        )  # a concurrent retry with the same key won
        if existing is not None:
            return existing
        _abandon_quietly(session, catalog, crm, attempt.order_id)
        raise
    except Exception:
        # Also after crm timed out: it may have held something before its answer was lost.
        _abandon_quietly(session, catalog, crm, attempt.order_id)
        raise
    return ORDER.dump(order)


def _priced_order(session, crm, attempt):
    """The order, with its tier discount, coupon and points. One without coupon or points is
    priced and written in one transaction while orders knows the member's tier discount
    (``checkout_terms``): crm hears of it when it is paid. Else crm's checkout prices it."""
    caller, data, order_id = attempt.caller, attempt.data, attempt.order_id
    if not _uses_loyalty(data):
        with session.begin():
            percent = _known_discount(session, attempt)
            if percent is not None:
                return _locally_priced_order(session, attempt, percent)
    fetched_at = utcnow()
    checkout = crm.apply_checkout(
        {
            "order_id": order_id,
            "member_id": caller.member_id,
            "subtotal_cents": attempt.subtotal,
            "coupon_id": data["coupon_id"],
            "points_to_use": data["points_to_use"],
        }
    )
    if caller.deadline_passed():
        raise ServiceUnavailable(
            "Placing the order took too long; nothing was ordered. Please try again."
        )
    with session.begin():
        order = _new_order(
            session, caller, order_id, data, attempt.lines, attempt.subtotal, checkout
        )
        checkout_terms.remember(session, caller.tenant_id, caller.member_id, checkout, fetched_at)
    return order


def abandon_attempt(session, catalog, crm, order_id):
    """Release an attempt's stock and crm's checkout (coupon, points), then forget its key so
    that a retry starts afresh. Both releases are idempotent and harmless if nothing was taken.

    Manages its own transaction: the key is forgotten (committed) only after both remote
    releases answered, so an attempt whose release failed stays on the sweeper's list."""
    catalog.release_stock(order_id)
    crm.release_checkout(order_id)
    with session.begin():
        if session.get(Order, order_id) is not None:
            return False
        for attempt in session.scalars(
            select(IdempotencyKey).where(IdempotencyKey.order_id == order_id)
        ):
            session.delete(attempt)
    return True


def _abandon_quietly(session, catalog, crm, order_id):
    try:
        abandon_attempt(session, catalog, crm, order_id)
    except Exception:  # the sweeper (release_abandoned) tries again later
        log.exception("could not release what order attempt %s reserved or held", order_id)


def _new_order(session, caller, order_id, data, lines, subtotal, checkout):
    now = utcnow()
    discount = checkout["discount_cents"]
    # crm's answer crosses a service boundary: the order's money must add up whatever it says.
    if (
        not 0 <= discount <= subtotal
        or checkout["total_cents"] != subtotal - discount
        or discount
        != (
            checkout["tier_discount_cents"]
            + checkout["coupon_discount_cents"]
            + checkout["points_discount_cents"]
        )
    ):
        raise ServiceUnavailable("The discount could not be worked out; nothing was ordered.")
    channel = data["channel"]
    order = Order(
        id=order_id,
        tenant_id=caller.tenant_id,
        member_id=caller.member_id,
        channel_type=channel["type"],
        channel_id=channel.get("id"),
        subtotal_cents=subtotal,
        discount_cents=discount,
        total_cents=subtotal - discount,
        note=data["note"],
        tier_discount_cents=checkout["tier_discount_cents"],
        coupon_id=checkout["coupon_id"],
        coupon_discount_cents=checkout["coupon_discount_cents"],
        points_used=checkout["points_used"],
        points_discount_cents=checkout["points_discount_cents"],
        expires_at=now + PAYMENT_WINDOW[channel["type"]],
        created_at=now,
    )
    order.lines = [
        OrderLine(
            position=i,
            product_id=line["product_id"],
            name=line["name"],
            unit=line["unit"],
            unit_price_cents=line["unit_price_cents"],
            quantity=line["quantity"],
        )
        for i, line in enumerate(lines)
    ]
    order.timeline = [
        OrderStatusChange(status="pending_payment", at=now, by=f"member:{caller.member_id}")
    ]
    order.after_sales, order.compensations = [], []  # loaded now: the answer is dumped after commit
    session.add(order)  # flushed with the rest of the transaction (a batch's orders together)
    emit(
        session,
        events.ORDER_PLACED,
        {
            **lifecycle.order_facts(order),
            "subtotal_cents": order.subtotal_cents,
            "discount_cents": order.discount_cents,
            "tier_discount_cents": order.tier_discount_cents,
            "coupon_id": order.coupon_id,
            "coupon_discount_cents": order.coupon_discount_cents,
            "points_used": order.points_used,
            "points_discount_cents": order.points_discount_cents,
        },
        tenant_id=caller.tenant_id,
        correlation_id=caller.correlation_id,
    )
    return order


def abandoned_attempts(session, older_than):
    """Order attempts that reserved (or may have reserved) stock but never became an order:
    the orders service gave up (catalog too slow, a crash) between the two steps.

    Read in a transaction of its own: the sweeper (``release_abandoned``) then commits each
    attempt alone, after its remote releases."""
    cutoff = utcnow() - older_than
    with session.begin():
        return session.execute(
            select(IdempotencyKey.tenant_id, IdempotencyKey.order_id)
            .outerjoin(Order, Order.id == IdempotencyKey.order_id)
            .where(Order.id.is_(None), IdempotencyKey.created_at < cutoff)
            .limit(100)
        ).all()


def release_abandoned(session, catalog_for, crm_for, older_than=ABANDONED_AFTER):
    """Give back the stock, coupon and points of abandoned attempts, then forget them so a
    retry starts afresh.

    ``catalog_for(tenant_id)`` / ``crm_for(tenant_id)`` are the clients acting for that community.
    The sweeper runs in every orders process and its steps are remote calls, which no claim
    could span: two sweepers on one attempt are harmless instead, since catalog's release is a
    compare-and-set on the reservation (stock back once) and crm's is idempotent per order.
    Manages its own transactions, one per attempt (``abandon_attempt``).
    """
    return sum(
        abandon_attempt(session, catalog_for(tenant_id), crm_for(tenant_id), order_id)
        for tenant_id, order_id in abandoned_attempts(session, older_than)
    )


def expire_idempotency_keys(
    session,
    retention=IDEMPOTENCY_KEY_RETENTION,
    staff_retention=STAFF_KEY_RETENTION,
    batch=EXPIRED_KEYS_BATCH,
):
    """Forget keys whose order exists and that are older than ``retention`` (a member's) or
    ``staff_retention`` (the staff's), ``batch`` rows per transaction; the number forgotten.

    A key without an order is left alone, however old: it is an attempt that may still hold
    stock, coupon or points, the abandoned-attempt sweeper's work list (``abandoned_attempts``),
    and that sweeper deletes it once released. So the two never race over a key.
    """
    now = utcnow()
    staff = IdempotencyKey.member_id == STAFF_KEYS
    expired = or_(
        and_(~staff, IdempotencyKey.created_at < now - retention),
        and_(staff, IdempotencyKey.created_at < now - staff_retention),
    )
    forgotten = 0
    while True:
        with session.begin():
            ids = session.scalars(
                select(IdempotencyKey.id)
                .join(Order, Order.id == IdempotencyKey.order_id)
                .where(expired)
                .limit(batch)
            ).all()
            if ids:
                session.execute(delete(IdempotencyKey).where(IdempotencyKey.id.in_(ids)))
        forgotten += len(ids)
        if len(ids) < batch:
            return forgotten


def visible_order(session, caller, order_id, lock=False):
    """An order of the caller's community; a member sees only their own. ``lock``: as committed
    now and row-locked, for a use case about to change it (``lifecycle``: lock, then decide)."""
    return get_in_community(
        session,
        Order,
        order_id,
        caller.require_tenant(),
        "No such order.",
        "order_id",
        member_id=caller.member_scope,
        **(ROW_LOCK if lock else {}),
    )


def get_order(session, caller, order_id):
    return ORDER.dump(visible_order(session, caller, order_id))


PAID_ORDERS_LIMIT = 1000


def paid_orders_to_pack(session, caller, query):
    """The community's orders that are paid and not yet packed, oldest first (at most
    ``PAID_ORDERS_LIMIT``): those of a wave (``wave_id``), or those outside waves first paid in
    [``paid_from``, ``paid_to``). Read-only, for the staff: fulfilment asks when a leader moves
    a wave or a day's batch the moment after its payments, before fulfilment has heard of any."""
    caller.require_staff()
    params = load(PAID_ORDERS_QUERY, query)
    statement = select(Order).where(Order.tenant_id == caller.tenant_id, Order.status == "paid")
    if params["wave_id"] is not None:
        statement = statement.where(
            Order.channel_type == "wave", Order.channel_id == params["wave_id"]
        )
    else:
        first_paid = (
            select(OrderStatusChange.order_id, func.min(OrderStatusChange.at).label("at"))
            .where(OrderStatusChange.status == "paid")
            .group_by(OrderStatusChange.order_id)
            .subquery()
        )
        statement = statement.join(first_paid, first_paid.c.order_id == Order.id).where(
            Order.channel_type != "wave",
            first_paid.c.at >= params["paid_from"],
            first_paid.c.at < params["paid_to"],
        )
    statement = statement.order_by(Order.created_at, Order.id).limit(PAID_ORDERS_LIMIT)
    return [ORDER.dump(order) for order in session.scalars(statement)]


def list_orders(session, caller, query):
    params = load(ORDER_QUERY, query)
    statement = select(Order).where(Order.tenant_id == caller.require_tenant())
    if caller.is_staff:
        if params["member_id"]:
            statement = statement.where(Order.member_id == params["member_id"])
    elif caller.role == "member" and caller.member_id:
        statement = statement.where(Order.member_id == caller.member_id)
    else:
        raise Forbidden("Only members and the community's staff can list orders.")
    if params["status"]:
        statement = statement.where(Order.status == params["status"])
    statement = newest_first(statement, Order, decode_cursor(params["cursor"]), params["limit"])
    return page([ORDER.dump(order) for order in session.scalars(statement)], params["limit"])
