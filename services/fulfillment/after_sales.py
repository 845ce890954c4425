"""After-sale (售后): a member's case on a completed order, and the leader's compensation (补偿).

* A member opens a case (damaged, missing, quality, other) on their own completed order within
  ``AFTER_SALE_DAYS`` of its completion (the pickup), one open case per order at a time.
* The leader resolves it with one compensation, or rejects it with a reason; the leader can
  also compensate without a case (``compensate``: "the strawberries were bruised, 5 yuan").
* A refund goes through orders (``refund_order``, which refunds through the payment provider);
  a coupon or points are given by crm when it hears ``compensation_granted``, keyed by the
  compensation's id so a redelivered event gives nothing more.

Exactly once: a compensation is first written ``pending`` (committed), then the refund is asked
of orders with the idempotency key ``compensation:<id>``, then it is ``granted`` and announced.
A resolve retried after the refund call timed out finds the pending compensation and asks again
with the same key: orders answers the first refund instead of refunding twice. A refusal from
orders (more than was paid) drops the pending compensation: nothing changed.

Every case and compensation is announced (``after_sale_opened``, ``after_sale_rejected``,
``compensation_granted``) so orders can show them on the order's history.
"""

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from services.fulfillment import copies, events
from services.fulfillment.handlers import positive_or
from services.fulfillment.models import AfterSaleCase, Compensation, FulfillmentOrder
from services.fulfillment.schemas import (
    CASE_QUERY,
    COMPENSATE,
    KIND_NAMES,
    OPEN_CASE,
    REASON_LENGTH,
    REJECT,
    RESOLVE,
)
from services.infra.db import (
    ROW_LOCK,
    compare_and_set,
    get_in_community,
    new_id,
    newest_first,
    utcnow,
)
from services.infra.errors import Conflict, DomainError, NotFound, ServiceUnavailable, invalid
from services.infra.messaging import emit
from services.infra.schemas import decode_cursor, load, page

AFTER_SALE_DAYS = 7  # config/fulfillment.yaml
# Orders steps at which an order has been paid for and not taken back: compensable.
PAID_STEPS = ("to_pack", "packed", "delivering", "ready_for_pickup", "picked_up")
# orders' answers that mean "no, and nothing was done" (the rest may hide a refund that happened).
REFUSALS = ("Invalid", "NotFound", "Conflict", "Forbidden", "Unauthorized")


def after_sale_days(configured):
    return positive_or(configured, AFTER_SALE_DAYS)


def _by(caller):
    return f"{caller.role}:{caller.account_id or caller.member_id or ''}"[:64]


# --- views -----------------------------------------------------------------------------------


def case_view(case, compensation=None):
    return {
        "id": case.id,
        "order_id": case.order_id,
        "member_id": case.member_id,
        "kind": case.kind,
        "description": case.description,
        "photo_url": case.photo_url,
        "status": case.status,
        "reject_reason": case.reject_reason,
        "created_at": case.created_at.isoformat(),
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        "compensation": compensation_view(compensation) if compensation is not None else None,
    }


def compensation_view(compensation):
    return {
        "id": compensation.id,
        "order_id": compensation.order_id,
        "case_id": compensation.case_id,
        "type": compensation.type,
        "amount": compensation.amount,
        "reason": compensation.reason,
        "status": compensation.status,
        "created_at": compensation.created_at.isoformat(),
    }


def _case_compensation(session, case_id):
    return session.scalars(select(Compensation).where(Compensation.case_id == case_id)).first()


# --- opening and reading cases -----------------------------------------------------------------


def open_case(session, caller, order_id, payload, window_days=AFTER_SALE_DAYS, now=None):
    """The member opens a case on their own completed order, within the window.

    Someone else's order is 404 (it reveals nothing); an order not completed, one completed more
    than ``window_days`` ago, or one with a case still open is 409.
    """
    caller.require_member()
    data = load(OPEN_CASE, payload)
    order = get_in_community(
        session,
        FulfillmentOrder,
        order_id,
        caller.tenant_id,
        "No such order.",
        "order_id",
        member_id=caller.member_id,
    )
    if order.status != "picked_up" or order.picked_up_at is None:
        raise Conflict(
            "An after-sale case can be opened only on a completed order.",
            {"reason": "not_completed", "status_now": order.status},
        )
    now = now or utcnow()
    closes = order.picked_up_at + timedelta(days=window_days)
    if now > closes:
        raise Conflict(
            f"After-sale cases can be opened up to {window_days:g} days after pickup.",
            {"reason": "window_closed", "closed_at": closes.isoformat()},
        )
    open_case_now = session.scalars(
        select(AfterSaleCase).where(
            AfterSaleCase.tenant_id == caller.tenant_id,
            AfterSaleCase.open_order_id == order.order_id,
        )
    ).first()
    if open_case_now is not None:
        raise _already_open(open_case_now.id)
    case = AfterSaleCase(
        id=new_id(),
        tenant_id=caller.tenant_id,
        order_id=order.order_id,
        member_id=order.member_id,
        kind=data["kind"],
        description=data["description"].strip(),
        photo_url=data["photo_url"],
        status="open",
        open_order_id=order.order_id,
        created_at=now,
    )
    session.add(case)
    try:
        session.flush()  # two concurrent openings: the unique open order speaks here
    except IntegrityError:
        raise _already_open(None) from None
    emit(
        session,
        events.AFTER_SALE_OPENED,
        {
            "case_id": case.id,
            "order_id": case.order_id,
            "member_id": case.member_id,
            "kind": case.kind,
            "at": now.isoformat(),
        },
        tenant_id=caller.tenant_id,
        correlation_id=caller.correlation_id,
    )
    return case_view(case)


def _already_open(case_id):
    return Conflict(
        "This order already has an open after-sale case.",
        {"reason": "case_open", "case_id": case_id},
    )


def list_cases(session, caller, query):
    """Staff see every case of the community (by status); a member sees their own."""
    params = load(CASE_QUERY, query)
    statement = select(AfterSaleCase).where(AfterSaleCase.tenant_id == caller.require_tenant())
    if not caller.is_staff:
        caller.require_member()
        statement = statement.where(AfterSaleCase.member_id == caller.member_id)
    if params["status"]:
        statement = statement.where(AfterSaleCase.status == params["status"])
    cases = session.scalars(
        newest_first(statement, AfterSaleCase, decode_cursor(params["cursor"]), params["limit"])
    ).all()
    compensations = (
        {
            compensation.case_id: compensation
            for compensation in session.scalars(
                select(Compensation).where(Compensation.case_id.in_([case.id for case in cases]))
            )
        }
        if cases
        else {}
    )
    return page([case_view(case, compensations.get(case.id)) for case in cases], params["limit"])


def _visible_case(session, caller, case_id, lock=False):
    """A case of the caller's community (a member's own). ``lock``: as committed now and
    row-locked, for the leader's decisions (reject, resolve), which must not both win."""
    return get_in_community(
        session,
        AfterSaleCase,
        case_id,
        caller.require_tenant(),
        "No such after-sale case.",
        "case_id",
        member_id=caller.member_scope,
        **(ROW_LOCK if lock else {}),
    )


def _close_case(session, case, status, now, **values):
    """``open -> status`` by compare-and-set; False if the case was closed meanwhile."""
    closed = compare_and_set(
        session,
        AfterSaleCase,
        (AfterSaleCase.id == case.id, AfterSaleCase.status == "open"),
        {"status": status, "open_order_id": None, "closed_at": now, **values},
    )
    session.refresh(case)
    return bool(closed)


def get_case(session, caller, case_id):
    case = _visible_case(session, caller, case_id)
    return case_view(case, _case_compensation(session, case.id))


def reject_case(session, caller, case_id, payload):
    """The leader turns a case down, saying why; the member sees the reason."""
    caller.require_leader(
        "Only the community's leader may resolve after-sale cases and give compensation."
    )
    reason = load(REJECT, payload)["reason"].strip()
    # Locked: a resolve at the same moment writes its compensation under the same lock, so either
    # it is seen here (409) or this rejection is seen there.
    case = _visible_case(session, caller, case_id, lock=True)
    if case.status != "open" or _case_compensation(session, case.id) is not None:
        raise _not_open(case)
    now = utcnow()
    if not _close_case(session, case, "rejected", now, reject_reason=reason):
        raise _not_open(case)
    emit(
        session,
        events.AFTER_SALE_REJECTED,
        {
            "case_id": case.id,
            "order_id": case.order_id,
            "member_id": case.member_id,
            "kind": case.kind,
            "opened_at": case.created_at.isoformat(),
            "reason": reason,
            "at": now.isoformat(),
        },
        tenant_id=caller.tenant_id,
        correlation_id=caller.correlation_id,
    )
    return case_view(case)


def _not_open(case):
    return Conflict(
        f"This after-sale case is {case.status}.",
        {"reason": "case_closed", "status_now": case.status},
    )


# --- compensation ----------------------------------------------------------------------------


def _check_amount(session, order, compensation):
    """A compensation within reason for this order; ``Conflict``/``Invalid`` before anything
    changes. orders has the last word on refunds; this spares it the absurd ones, counting our
    own refunds too while orders' ``order_refunded`` is still on its way."""
    kind, amount = compensation["type"], compensation["amount"]
    if kind == "refund":
        ours = session.scalar(
            select(func.coalesce(func.sum(Compensation.amount), 0)).where(
                Compensation.order_id == order.order_id, Compensation.type == "refund"
            )
        )
        refundable = order.total_cents - max(order.refunded_cents, int(ours))
        if amount > refundable:
            raise Conflict(
                "That is more than is left to refund on this order.",
                {"reason": "exceeds_paid", "refundable_cents": refundable},
            )
    elif kind == "coupon" and amount > order.total_cents:
        raise invalid(
            {
                "amount": [
                    f"A coupon may be worth at most the order's total ({order.total_cents} fen)."
                ]
            }
        )


def _pending_for(session, caller, order, compensation, reason, case=None):
    """Write the compensation ``pending`` in its own transaction, or find the one an earlier,
    interrupted try of the same resolve left."""
    if case is not None:
        pending = _case_compensation(session, case.id)
        if pending is not None:
            if (pending.type, pending.amount) != (compensation["type"], compensation["amount"]):
                raise Conflict(
                    "This case is already being resolved with another compensation.",
                    {"reason": "compensation_pending", "compensation": compensation_view(pending)},
                )
            return pending
    _check_amount(session, order, compensation)
    pending = Compensation(
        id=new_id(),
        tenant_id=caller.tenant_id,
        order_id=order.order_id,
        member_id=order.member_id,
        case_id=case.id if case else None,
        type=compensation["type"],
        amount=compensation["amount"],
        reason=reason,
        status="pending",
        by=_by(caller),
        created_at=utcnow(),
    )
    session.add(pending)
    return pending


def _refund_reason(reason):
    return f"售后: {reason}"[:REASON_LENGTH]


def _pay_out(session, orders, compensation_id):
    """Ask orders for the refund (idempotent on the compensation); a definite refusal drops the
    pending compensation, anything else leaves it for a retry. No transaction is held during
    the call to orders: the compensation is read, and a refused one dropped, each in its own."""
    with session.begin():
        compensation = session.get(Compensation, compensation_id)
        order_id, amount, reason = compensation.order_id, compensation.amount, compensation.reason
    try:
        orders.refund_order(
            order_id,
            {"amount_cents": amount, "reason": _refund_reason(reason)},
            idempotency_key=f"compensation:{compensation_id}",
        )
    except DomainError as error:
        if type(error).__name__ in REFUSALS:
            with session.begin():
                session.execute(
                    delete(Compensation).where(
                        Compensation.id == compensation_id, Compensation.status == "pending"
                    )
                )
            raise
        raise ServiceUnavailable(
            "The refund could not be confirmed; try again, it will not be paid twice.",
            {"compensation_id": compensation_id},
        ) from error


def _grant(session, caller, compensation_id):
    """``pending`` -> ``granted``, the case resolved, ``compensation_granted`` announced: once,
    whichever of two concurrent tries gets here first."""
    now = utcnow()
    granted = (
        compare_and_set(
            session,
            Compensation,
            (Compensation.id == compensation_id, Compensation.status == "pending"),
            {"status": "granted", "granted_at": now},
        )
        == 1
    )
    compensation = session.get(Compensation, compensation_id)
    session.refresh(compensation)
    case = session.get(AfterSaleCase, compensation.case_id) if compensation.case_id else None
    if not granted:
        return compensation, case
    if case is not None:
        _close_case(session, case, "resolved", now)
    emit(
        session,
        events.COMPENSATION_GRANTED,
        {
            "compensation_id": compensation.id,
            "order_id": compensation.order_id,
            "member_id": compensation.member_id,
            "type": compensation.type,
            "amount": compensation.amount,
            "reason": compensation.reason,
            "at": now.isoformat(),
            "case_id": compensation.case_id,
            "case_kind": case.kind if case else None,
            "case_opened_at": case.created_at.isoformat() if case else None,
        },
        tenant_id=caller.tenant_id,
        correlation_id=caller.correlation_id,
    )
    return compensation, case


def _give(session, caller, orders, compensation_id):
    """A pending compensation paid out (a refund is a call to orders) and then granted, in a
    transaction of its own: the grant commits only once orders confirmed the refund."""
    with session.begin():
        compensation = session.get(Compensation, compensation_id)
        needs_refund = compensation.type == "refund" and compensation.status == "pending"
    if needs_refund:
        _pay_out(session, orders, compensation_id)
    with session.begin():
        compensation, case = _grant(session, caller, compensation_id)
        return compensation_view(compensation), (case_view(case, compensation) if case else None)


def resolve_case(session, caller, orders, case_id, payload):
    """The leader resolves an open case with one compensation (refund, coupon or points).

    Manages its own transactions (the refund is a call to orders). Resolving a resolved case is
    409; retrying an interrupted resolve with the same compensation finishes it, once.
    """
    caller.require_leader(
        "Only the community's leader may resolve after-sale cases and give compensation."
    )
    compensation = load(RESOLVE, payload)["compensation"]
    try:
        with session.begin():
            case = _visible_case(
                session, caller, case_id, lock=True
            )  # against a rejection (reject_case)
            if case.status != "open":
                raise _not_open(case)
            order = session.get(FulfillmentOrder, case.order_id)
            reason = f"{KIND_NAMES[case.kind]}: {case.description}"[:REASON_LENGTH]
            compensation_id = _pending_for(session, caller, order, compensation, reason, case).id
    except IntegrityError:  # a concurrent resolve wrote its compensation first
        raise Conflict(
            "This case is already being resolved.", {"reason": "compensation_pending"}
        ) from None
    return _give(session, caller, orders, compensation_id)[1]


def compensate(session, caller, orders, order_id, payload):
    """The leader compensates a paid order without a case (主动补偿). Retrying the same
    compensation after its refund call timed out finishes that one instead of refunding again.
    An order paid a moment ago, that fulfilment has not heard of yet, is asked of orders
    (``copies``).

    Manages its own transactions, like ``resolve_case``: the pending compensation commits
    before the refund is asked of orders."""
    caller.require_leader(
        "Only the community's leader may resolve after-sale cases and give compensation."
    )
    data = load(COMPENSATE, payload)
    with session.begin():
        order = copies.known_order(session, orders, caller.require_tenant(), order_id)
        if order is None:
            raise NotFound("No such order.", {"order_id": order_id})
        # Locked: two compensations at once each see the other's in ``_check_amount``.
        session.refresh(order, with_for_update=True)
        if order.status not in PAID_STEPS:
            raise Conflict(
                "Only a paid order can be compensated.",
                {"reason": "wrong_state", "status_now": order.status},
            )
        reason = data["reason"].strip()
        # The same compensation retried after its refund timed out resumes it (same refund key).
        interrupted = session.scalars(
            select(Compensation).where(
                Compensation.order_id == order.order_id,
                Compensation.case_id.is_(None),
                Compensation.status == "pending",
                Compensation.type == data["type"],
                Compensation.amount == data["amount"],
                Compensation.reason == reason,
            )
        ).first()
        compensation_id = (interrupted or _pending_for(session, caller, order, data, reason)).id
    return _give(session, caller, orders, compensation_id)[0]


# --- the cockpit's after-sale rate -------------------------------------------------------------


def after_sale_stats(session, tenant_id, start, end):
    """Cases opened in [start, end) in the community, and how many orders they concern."""
    cases, orders = session.execute(
        select(
            func.count(AfterSaleCase.id), func.count(func.distinct(AfterSaleCase.order_id))
        ).where(
            AfterSaleCase.tenant_id == tenant_id,
            AfterSaleCase.created_at >= start,
            AfterSaleCase.created_at < end,
        )
    ).one()
    return {"cases": int(cases), "orders_with_cases": int(orders)}


def after_sale_stats_rpc(session, caller, start, end):
    """``after_sale_stats(from, to)`` for the cockpit: ISO-8601 instants with a time zone."""
    caller.require_staff()
    try:
        start, end = datetime.fromisoformat(start), datetime.fromisoformat(end)
    except (TypeError, ValueError):
        raise invalid({"from": ["An ISO-8601 instant with a time zone."]}) from None
    if start.tzinfo is None or end.tzinfo is None:
        raise invalid({"from": ["An ISO-8601 instant with a time zone."]})
    return after_sale_stats(session, caller.tenant_id, start, end)
