"""Payments: a provider interface, the offline and sandbox providers, and their use cases.

A provider starts a payment (answering what the member needs, e.g. a ``pay_url``) and refunds
one. A real provider (WeChat Pay, Alipay) plugs in as another class with the same two methods
and its own webhook verification.

The sandbox provider ships with Linli for development and demos. It behaves like a real one:
its pay page acts as the buyer, then it notifies the merchant's webhook, signed with
HMAC-SHA256 over ``timestamp.body``, retrying with backoff until it gets a 2xx, and now and
then twice. Each notification is applied exactly once; a forged, stale or replayed one
changes nothing; a payment that arrives after the order was cancelled is refunded.

Every use case here runs in many orders processes at once: it locks the order first
(``visible_order(lock=True)``, ``lifecycle.locked_order``) and then moves payments by
compare-and-set on their status and amounts (``compare_and_set``), so a webhook racing the
unpaid timeout, a cancel racing mark-paid, or two refunds at once never both win: an order ends
paid or cancelled-and-refunded, and refunds never add up to more than was paid.
"""

import hashlib
import hmac
import json
import random
import time
from datetime import timedelta

from sqlalchemy import select

from services.infra.db import claim_batch, compare_and_set, new_id, utcnow
from services.infra.errors import Conflict, Invalid, NotFound, Unauthorized
from services.infra.messaging import emit
from services.infra.schemas import load
from services.orders import events, lifecycle, stats
from services.orders.handlers import idempotent, visible_order
from services.orders.models import (
    Payment,
    ProcessedNotification,
    Refund,
    SandboxCharge,
    SandboxNotification,
)
from services.orders.schemas import (
    NOTIFICATION,
    OUTCOME_INPUT,
    PAY_INPUT,
    PAYMENT,
    REFUND_INPUT,
    SANDBOX_CHARGE,
)

SIGNATURE_MAX_AGE = 300  # seconds: an older webhook is refused (replay protection)
WEBHOOK_PATH = "/api/v1/payments/sandbox/webhook"
# The reasons on the refunds orders makes by itself (a leader's refund carries the leader's words).
CANCELLED_REFUND_REASON = "订单取消"
LATE_PAYMENT_REFUND_REASON = "付款时订单已取消"


class OfflineProvider:
    """The member pays the leader in person; the leader marks the order paid."""

    name = "offline"

    def start(self, session, payment, order):
        return {}

    def refund(self, session, payment, amount_cents):
        """Handed back in person: recorded, nothing to call."""


class SandboxProvider:
    name = "sandbox"

    def __init__(self, public_url, duplicate_rate=0.2):
        self.public_url = public_url.rstrip("/")
        self.duplicate_rate = duplicate_rate

    def pay_url(self, charge_id):
        return f"{self.public_url}/api/v1/payments/sandbox/pay/{charge_id}"

    def start(self, session, payment, order):
        charge = SandboxCharge(
            id=new_id(), amount_cents=payment.amount_cents, description=f"邻里订单 {order.id[:8]}"
        )
        session.add(charge)
        payment.provider_ref = charge.id
        return {"pay_url": self.pay_url(charge.id)}

    def refund(self, session, payment, amount_cents):
        compare_and_set(
            session,
            SandboxCharge,
            (SandboxCharge.id == payment.provider_ref,),
            {"status": "refunded"},
        )


def providers_from(config):
    return {
        "offline": OfflineProvider(),
        "sandbox": SandboxProvider(
            config.get("PUBLIC_URL", "http://127.0.0.1:8000"),
            float(config.get("SANDBOX_DUPLICATE_RATE", 0.2)),
        ),
    }


def dump_payment(payment, providers):
    """``PAYMENT``'s dump, with the ``pay_url`` of a sandbox payment still pending."""
    answer = PAYMENT.dump(payment)
    if payment.method == "sandbox" and payment.status == "pending":
        answer["pay_url"] = providers["sandbox"].pay_url(payment.provider_ref)
    return answer


def _by(caller):
    """Who did it, on the order's timeline."""
    return f"{caller.role}:{caller.account_id}"


def _pending_payment(session, order, method):
    """The order's payment by ``method`` not yet settled, to resume instead of starting another."""
    return session.scalars(
        select(Payment).where(
            Payment.order_id == order.id, Payment.method == method, Payment.status == "pending"
        )
    ).first()


def _new_payment(session, order, method):
    payment = Payment(
        id=new_id(),
        tenant_id=order.tenant_id,
        order_id=order.id,
        method=method,
        amount_cents=order.total_cents,
    )
    session.add(payment)
    return payment


def start_payment(session, caller, providers, order_id, payload, idempotency_key=None):
    """The member chooses how to pay; a retry returns the payment already started (and with the
    same ``Idempotency-Key``, the first answer even after the order was paid)."""
    caller.require_member()
    return idempotent(
        session,
        caller,
        idempotency_key,
        order_id,
        {"call": "pay", "order_id": order_id, "body": payload},
        lambda: _start_payment(session, caller, providers, order_id, payload),
    )


def _start_payment(session, caller, providers, order_id, payload):
    data = load(PAY_INPUT, payload)
    order = visible_order(session, caller, order_id, lock=True)
    if order.status != "pending_payment":
        raise Conflict(
            f"An order that is {order.status} cannot be paid.",
            {"reason": "wrong_state", "status_now": order.status},
        )
    pending = _pending_payment(session, order, data["method"])
    if pending is None:
        pending = _new_payment(session, order, data["method"])
        providers[data["method"]].start(session, pending, order)
        session.flush()
    return {"payment": dump_payment(pending, providers)}


def mark_paid_offline(session, caller, providers, order_id, idempotency_key=None):
    """The leader confirms the member paid in person (a retry with the same key: the same
    answer)."""
    caller.require_staff()
    return idempotent(
        session,
        caller,
        idempotency_key,
        order_id,
        {"call": "mark_paid", "order_id": order_id},
        lambda: _mark_paid_offline(session, caller, providers, order_id),
    )


def _mark_paid_offline(session, caller, providers, order_id):
    order = visible_order(session, caller, order_id, lock=True)
    lifecycle.mark_paid(session, order, _by(caller), "offline", caller.correlation_id)
    payment = _pending_payment(session, order, "offline")
    if payment is None:
        payment = _new_payment(session, order, "offline")
        payment.status = "succeeded"
    else:
        _settle(session, payment, "pending", "succeeded")
    session.flush()
    return {
        "order_id": order.id,
        "status": order.status,
        "payment": dump_payment(payment, providers),
    }


def cancel_order(session, caller, providers, order_id):
    """Members cancel their own order before packing; the leader may cancel any such order.
    A paid order is refunded in full through the provider it was paid with."""
    order = visible_order(session, caller, order_id, lock=True)
    if order.status not in lifecycle.MEMBER_MAY_CANCEL:
        raise Conflict(
            f"An order that is {order.status} can no longer be cancelled.",
            {"reason": "wrong_state", "status_now": order.status},
        )
    given_back = refund_payments(session, providers, order, _by(caller), CANCELLED_REFUND_REASON)
    if given_back:
        stats.record_refund(session, order, given_back, whole=True)
    lifecycle.cancel(
        session, order, _by(caller), "cancelled_by_" + caller.role, caller.correlation_id
    )
    return {"order_id": order.id, "status": order.status}


def _settle(session, payment, before, after, **values):
    """``payment`` from ``before`` to ``after`` (and ``values``) by compare-and-set; ``Conflict``
    if another process moved it first (then nothing here changed, the transaction rolls back)."""
    if not compare_and_set(
        session,
        Payment,
        (Payment.id == payment.id, Payment.status == before),
        {"status": after, "updated_at": utcnow(), **values},
    ):
        session.refresh(payment)
        raise Conflict(
            f"The payment is {payment.status} now.",
            {"reason": "wrong_state", "status_now": payment.status},
        )
    session.refresh(payment)


def _give_back(session, providers, payment, amount_cents, reason, by):
    """``amount_cents`` of ``payment`` back through its provider, on the record (``Refund``): a
    payment's ``refunded_cents`` is always the sum of its refunds."""
    providers[payment.method].refund(session, payment, amount_cents)
    session.add(
        Refund(
            tenant_id=payment.tenant_id,
            order_id=payment.order_id,
            payment_id=payment.id,
            amount_cents=amount_cents,
            reason=reason,
            by=by,
        )
    )


def refund_payments(session, providers, order, by, reason):
    """Give back all that is left of the order's payments; how much that was. The caller holds
    the order's lock; each payment still moves by compare-and-set on what was read of it."""
    given_back = 0
    for payment in session.scalars(
        select(Payment)
        .where(Payment.order_id == order.id)
        .execution_options(populate_existing=True)
    ):
        if payment.status == "succeeded":
            left = payment.amount_cents - payment.refunded_cents
            _settle(session, payment, "succeeded", "refunded", refunded_cents=payment.amount_cents)
            _give_back(session, providers, payment, left, reason, by)
            given_back += left
    return given_back


def refund_order(session, caller, providers, order_id, payload, idempotency_key=None):
    """The leader gives money back, whole or in part, also after completion (an after-sale
    compensation). Refunds never add up to more than was paid; the whole amount back makes the
    order ``refunded``. A retry with the same ``Idempotency-Key`` answers the first refund
    instead of refunding again (fulfilment keys each compensation's refund this way). Money
    given back is the leader's decision, never staff's (团长助理)."""
    caller.require_leader("Only the community's leader may give money back.")
    return idempotent(
        session,
        caller,
        idempotency_key,
        order_id,
        {"call": "refund", "order_id": order_id, "body": payload},
        lambda: _refund_order(session, caller, providers, order_id, payload),
    )


def _refund_order(session, caller, providers, order_id, payload):
    data = load(REFUND_INPUT, payload)
    order = visible_order(session, caller, order_id, lock=True)
    paid = session.scalars(
        select(Payment)
        .where(Payment.order_id == order.id, Payment.status == "succeeded")
        .execution_options(populate_existing=True)
    ).first()
    if paid is None or order.status in ("pending_payment", "cancelled", "refunded"):
        raise Conflict(
            "Only a paid order can be refunded.",
            {"reason": "wrong_state", "status_now": order.status},
        )
    refundable = paid.amount_cents - paid.refunded_cents
    if data["amount_cents"] > refundable:
        raise Conflict(
            "That is more than is left to refund.",
            {"reason": "exceeds_paid", "refundable_cents": refundable},
        )
    by = _by(caller)
    # The sum is the database's to check: two refunds at once never exceed what was paid.
    if not compare_and_set(
        session,
        Payment,
        (
            Payment.id == paid.id,
            Payment.status == "succeeded",
            Payment.refunded_cents + data["amount_cents"] <= Payment.amount_cents,
        ),
        {"refunded_cents": Payment.refunded_cents + data["amount_cents"], "updated_at": utcnow()},
    ):
        session.refresh(paid)
        raise Conflict(
            "That is more than is left to refund.",
            {"reason": "exceeds_paid", "refundable_cents": paid.amount_cents - paid.refunded_cents},
        )
    session.refresh(paid)
    _give_back(session, providers, paid, data["amount_cents"], data["reason"], by)
    whole = paid.refunded_cents == paid.amount_cents
    if whole:
        _settle(session, paid, "succeeded", "refunded")
        lifecycle.transition(session, order, "refunded", by)
    stats.record_refund(session, order, data["amount_cents"], whole)
    emit(
        session,
        events.ORDER_REFUNDED,
        {
            **lifecycle.order_facts(order),
            "amount_cents": data["amount_cents"],
            "refunded_total_cents": paid.refunded_cents,
            "whole": whole,
            "reason": data["reason"],
        },
        tenant_id=order.tenant_id,
        correlation_id=caller.correlation_id,
    )
    session.flush()
    return {
        "order_id": order.id,
        "status": order.status,
        "refunded_cents": paid.refunded_cents,
        "refundable_cents": paid.amount_cents - paid.refunded_cents,
    }


def expire_unpaid(session, now=None):
    """Cancel unpaid orders past their deadline; stock comes back through ``order_cancelled``.
    The orders are claimed (``overdue_orders``), so with N processes each is cancelled once; one
    that was paid meanwhile (SQLite's other process) is left as it is. The number cancelled."""
    cancelled = 0
    for order in lifecycle.overdue_orders(session, now or utcnow()):
        try:
            lifecycle.cancel(session, order, "system:payment_timeout", "payment_timeout")
        except Conflict:  # lost to the payment: nothing was changed for this order
            continue
        cancelled += 1
    return cancelled


# --- the sandbox provider's own side -------------------------------------------------------


def _charge(session, charge_id):
    charge = session.get(SandboxCharge, charge_id) if isinstance(charge_id, str) else None
    if charge is None:
        raise NotFound("No such sandbox payment.")
    return charge


def sandbox_charge(session, charge_id):
    charge = _charge(session, charge_id)
    return SANDBOX_CHARGE.dump(charge)


def sandbox_complete(session, provider, charge_id, payload):
    """The buyer's choice on the pay page; the provider then owes the merchant a webhook."""
    data = load(OUTCOME_INPUT, payload)
    charge = _charge(session, charge_id)
    # Two clicks on the pay page at once (or two gateways): one outcome, one set of notifications.
    if not compare_and_set(
        session,
        SandboxCharge,
        (SandboxCharge.id == charge.id, SandboxCharge.status == "pending"),
        {"status": data["outcome"]},
    ):
        session.refresh(charge)
        raise Conflict(
            "This payment was already completed.",
            {"reason": "wrong_state", "status_now": charge.status},
        )
    session.refresh(charge)
    body = json.dumps(
        {
            "notification_id": new_id(),
            "charge_id": charge.id,
            "status": charge.status,
            "amount_cents": charge.amount_cents,
        }
    )
    copies = 2 if random.random() < provider.duplicate_rate else 1  # real providers do this too
    for _ in range(copies):
        session.add(
            SandboxNotification(
                id=new_id(), charge_id=charge.id, body=body, next_attempt_at=utcnow()
            )
        )
    return sandbox_charge(session, charge.id)


def sign(secret, timestamp, body):
    return hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()


# How long a sender owns a notification it claimed: well beyond the webhook call's timeout, so
# only a sender that died mid-call loses it to another (which then sends it again, as providers do).
DELIVERY_LEASE = timedelta(seconds=60)


def due_notifications(session, now=None, limit=20):
    """Notifications due now, each leased to this caller (``next_attempt_at`` pushed a lease
    ahead, by compare-and-set on the value read): the sender runs in every orders process, and
    a claimed notification is sent by one of them, until its lease runs out.

    Commits the leases in a transaction of its own, before any webhook is sent: no transaction
    is held during the HTTP calls (``deliver_notifications``)."""
    now = now or utcnow()
    with session.begin():
        due = claim_batch(
            session,
            select(SandboxNotification)
            .where(
                SandboxNotification.delivered_at.is_(None),
                SandboxNotification.next_attempt_at <= now,
            )
            .order_by(SandboxNotification.next_attempt_at)
            .limit(limit),
        )
        return [
            notification
            for notification in due
            if compare_and_set(
                session,
                SandboxNotification,
                (
                    SandboxNotification.id == notification.id,
                    SandboxNotification.delivered_at.is_(None),
                    SandboxNotification.next_attempt_at == notification.next_attempt_at,
                ),
                {"next_attempt_at": now + DELIVERY_LEASE},
            )
        ]


def deliver_notifications(session, post, secret, webhook_url):
    """Send what is due and leased to this process; ``post(url, body, headers) -> status code``.
    Manages its own transactions: the claim (``due_notifications``), then one per notification
    sent, to record its outcome; no transaction is held during the HTTP call."""
    delivered = 0
    for notification in due_notifications(session):
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "Linli-Sandbox-Timestamp": timestamp,
            "Linli-Sandbox-Signature": sign(secret, timestamp, notification.body),
        }
        try:
            status, error = post(webhook_url, notification.body, headers), ""
        except Exception as exc:  # the merchant is down: try again later
            status, error = None, repr(exc)[:500]
        with session.begin():
            row = session.get(SandboxNotification, notification.id)
            row.attempts += 1
            if status is not None and 200 <= status < 300:
                row.delivered_at, row.next_attempt_at = utcnow(), None
                delivered += 1
            else:
                row.last_error = error or f"HTTP {status}"
                row.next_attempt_at = utcnow() + timedelta(seconds=min(2**row.attempts, 600))
    return delivered


# --- the merchant's webhook ----------------------------------------------------------------


def receive_sandbox_webhook(session, providers, secret, timestamp, signature, body):
    """Verify and apply one notification, exactly once."""
    try:
        age = abs(time.time() - int(timestamp))
    except (TypeError, ValueError):
        raise Unauthorized("Missing or malformed webhook timestamp.") from None
    if age > SIGNATURE_MAX_AGE:
        raise Unauthorized("The webhook is too old.")
    if (
        not isinstance(signature, str)
        or not isinstance(body, str)
        or not hmac.compare_digest(sign(secret, timestamp, body), signature)
    ):
        raise Unauthorized("The webhook signature does not match.")
    try:
        data = load(NOTIFICATION, json.loads(body))
    except ValueError:
        raise Invalid("The webhook body is not JSON.") from None
    if session.get(ProcessedNotification, data["notification_id"]) is not None:
        return {"status": "duplicate"}
    payment = session.scalars(
        select(Payment).where(Payment.provider_ref == data["charge_id"])
    ).first()
    if payment is None:
        raise NotFound("No payment for this charge.")
    if data["amount_cents"] != payment.amount_cents:
        raise Invalid(
            "The amount does not match the payment.", {"errors": {"amount_cents": ["Mismatch."]}}
        )
    session.add(ProcessedNotification(notification_id=data["notification_id"]))
    outcome = _apply(session, providers, payment, data["status"])
    session.flush()
    return {"status": outcome}


def _apply(session, providers, payment, status):
    """The provider's outcome on ``payment``, under the order's lock: the unpaid timeout or a
    cancel either came first (the money goes back) or waits and finds the order paid."""
    order = lifecycle.locked_order(session, payment.order_id)
    if not compare_and_set(
        session,
        Payment,
        (Payment.id == payment.id, Payment.status == "pending"),
        {"status": "failed" if status == "failed" else "succeeded", "updated_at": utcnow()},
    ):
        return "already_applied"
    session.refresh(payment)
    if status == "failed":
        return "failed"
    if order.status == "pending_payment":
        lifecycle.mark_paid(session, order, f"provider:{payment.method}", payment.method)
        return "paid"
    # Paid after the order was cancelled (or paid twice): the money goes back, never lost.
    _settle(session, payment, "succeeded", "refunded", refunded_cents=payment.amount_cents)
    _give_back(
        session,
        providers,
        payment,
        payment.amount_cents,
        LATE_PAYMENT_REFUND_REASON,
        f"provider:{payment.method}",
    )
    return "refunded"
