"""Paying, cancelling and the sandbox provider's signed webhooks."""

import json
import time
from datetime import timedelta

import pytest
from conftest import FakeCatalog, FakeCrm, every_product
from sqlalchemy import select

from services.infra.db import utcnow
from services.infra.errors import Conflict, Forbidden, Invalid, Unauthorized
from services.infra.messaging import OutboxMessage
from services.orders import handlers, payments
from services.orders.models import Base, Order, Payment, SandboxCharge, SandboxNotification

SECRET = "test-webhook-secret-that-is-long-enough"
PROVIDERS = {
    "offline": payments.OfflineProvider(),
    "sandbox": payments.SandboxProvider("http://linli.test", 0),
}


CATALOG = FakeCatalog(every_product("牛奶", 1290), unit="瓶")


@pytest.fixture
def session(make_session):
    return make_session(Base, "orders")


@pytest.fixture
def member(caller):
    return caller("member", member_id="member-1")


@pytest.fixture
def order_id(session, member):
    return handlers.place_order(
        session, CATALOG, FakeCrm(), member, {"items": [{"product_id": "milk", "quantity": 2}]}
    )["id"]


def in_tx(session, fn, *args):
    with session.begin():
        return fn(session, *args)


def events(session, event_type):
    with session.begin():
        return [
            row.payload
            for row in session.scalars(select(OutboxMessage))
            if row.event_type == event_type
        ]


def notify(
    session,
    charge_id,
    status="succeeded",
    amount=2580,
    notification_id="n-1",
    timestamp=None,
    secret=SECRET,
):
    body = json.dumps(
        {
            "notification_id": notification_id,
            "charge_id": charge_id,
            "status": status,
            "amount_cents": amount,
        }
    )
    timestamp = str(int(time.time())) if timestamp is None else timestamp
    signature = payments.sign(secret, timestamp, body)
    return in_tx(
        session,
        lambda s: payments.receive_sandbox_webhook(
            s, PROVIDERS, SECRET, timestamp, signature, body
        ),
    )


def start_sandbox(session, member, order_id):
    started = in_tx(
        session,
        lambda s: payments.start_payment(s, member, PROVIDERS, order_id, {"method": "sandbox"}),
    )
    return started["payment"]["pay_url"].rsplit("/", 1)[1]


def test_a_sandbox_payment_is_applied_exactly_once(session, member, order_id):
    charge_id = start_sandbox(session, member, order_id)
    assert start_sandbox(session, member, order_id) == charge_id  # retry: same payment
    assert notify(session, charge_id) == {"status": "paid"}
    assert notify(session, charge_id) == {"status": "duplicate"}  # the same notification again
    assert notify(session, charge_id, notification_id="n-2") == {"status": "already_applied"}
    with session.begin():
        assert session.get(Order, order_id).status == "paid"
        assert [p.status for p in session.scalars(select(Payment))] == ["succeeded"]
    paid = events(session, "order_paid")
    assert len(paid) == 1 and paid[0]["data"]["total_cents"] == 2580


@pytest.mark.parametrize("tamper", ["secret", "stale", "amount", "garbage_time"])
def test_forged_stale_or_altered_notifications_change_nothing(session, member, order_id, tamper):
    charge_id = start_sandbox(session, member, order_id)
    kwargs = {
        "secret": {"secret": "another-secret"},
        "stale": {"timestamp": str(int(time.time()) - 301)},
        "amount": {"amount": 1},
        "garbage_time": {"timestamp": "soon"},
    }[tamper]
    with pytest.raises((Unauthorized, Invalid)):
        notify(session, charge_id, **kwargs)
    with session.begin():
        assert session.get(Order, order_id).status == "pending_payment"
    assert events(session, "order_paid") == []


def test_a_payment_after_cancellation_is_refunded(session, member, order_id):
    charge_id = start_sandbox(session, member, order_id)
    in_tx(session, lambda s: payments.cancel_order(s, member, PROVIDERS, order_id))
    assert notify(session, charge_id) == {"status": "refunded"}
    with session.begin():
        assert session.get(Order, order_id).status == "cancelled"
        payment = session.scalars(select(Payment)).one()
        assert (payment.status, payment.refunded_cents) == ("refunded", 2580)
        assert session.get(SandboxCharge, charge_id).status == "refunded"


def test_cancelling_a_paid_order_refunds_it_and_packed_orders_stay(
    session, member, caller, order_id
):
    leader = caller("leader")
    in_tx(session, lambda s: payments.mark_paid_offline(s, leader, PROVIDERS, order_id))
    result = in_tx(session, lambda s: payments.cancel_order(s, member, PROVIDERS, order_id))
    assert result["status"] == "cancelled"
    with session.begin():
        assert session.scalars(select(Payment)).one().status == "refunded"
    cancelled = events(session, "order_cancelled")
    assert len(cancelled) == 1 and cancelled[0]["data"]["reason"] == "cancelled_by_member"
    with pytest.raises(Conflict):
        in_tx(session, lambda s: payments.cancel_order(s, member, PROVIDERS, order_id))


def test_only_staff_mark_paid_and_only_members_start_payment(session, member, caller, order_id):
    with pytest.raises(Forbidden):
        in_tx(session, lambda s: payments.mark_paid_offline(s, member, PROVIDERS, order_id))
    with pytest.raises(Forbidden):
        in_tx(
            session,
            lambda s: payments.start_payment(
                s, caller("leader"), PROVIDERS, order_id, {"method": "offline"}
            ),
        )
    with pytest.raises(Invalid):
        in_tx(
            session,
            lambda s: payments.start_payment(s, member, PROVIDERS, order_id, {"method": "cash"}),
        )


def test_unpaid_orders_expire_and_give_their_stock_back(session, member, order_id):
    assert in_tx(session, lambda s: payments.expire_unpaid(s, utcnow())) == 0
    assert (
        in_tx(session, lambda s: payments.expire_unpaid(s, utcnow() + timedelta(minutes=31))) == 1
    )
    with session.begin():
        order = session.get(Order, order_id)
        assert order.status == "cancelled"
        assert order.timeline[-1].by == "system:payment_timeout"
    assert events(session, "order_cancelled")[0]["data"]["reason"] == "payment_timeout"


def test_the_sandbox_retries_its_webhook_until_answered(session, member, order_id):
    charge_id = start_sandbox(session, member, order_id)
    in_tx(
        session,
        lambda s: payments.sandbox_complete(
            s, PROVIDERS["sandbox"], charge_id, {"outcome": "succeeded"}
        ),
    )
    answers = [503]
    sent = []

    def post(url, body, headers):
        sent.append((url, body, headers))
        return answers.pop(0) if answers else 200

    assert payments.deliver_notifications(session, post, SECRET, "http://linli.test/hook") == 0
    assert (
        payments.deliver_notifications(session, post, SECRET, "http://linli.test/hook") == 0
    )  # backing off
    with session.begin():
        row = session.scalars(select(SandboxNotification)).one()
        row.next_attempt_at = utcnow() - timedelta(seconds=1)
    assert payments.deliver_notifications(session, post, SECRET, "http://linli.test/hook") == 1
    url, body, headers = sent[-1]
    assert headers["Linli-Sandbox-Signature"] == payments.sign(
        SECRET, headers["Linli-Sandbox-Timestamp"], body
    )
    assert json.loads(body)["charge_id"] == charge_id


def test_partial_refunds_never_exceed_what_was_paid(session, member, caller, order_id):
    leader = caller("leader")
    with pytest.raises(Conflict):  # nothing paid yet
        in_tx(
            session,
            lambda s: payments.refund_order(
                s, leader, PROVIDERS, order_id, {"amount_cents": 1, "reason": "x"}
            ),
        )
    in_tx(session, lambda s: payments.mark_paid_offline(s, leader, PROVIDERS, order_id))
    for not_the_leader in (member, caller("staff")):  # money given back is the leader's decision
        with pytest.raises(Forbidden):
            in_tx(
                session,
                lambda s, who=not_the_leader: payments.refund_order(
                    s, who, PROVIDERS, order_id, {"amount_cents": 1, "reason": "x"}
                ),
            )
    first = in_tx(
        session,
        lambda s: payments.refund_order(
            s, leader, PROVIDERS, order_id, {"amount_cents": 1000, "reason": "一瓶破损"}
        ),
    )
    assert first == {
        "order_id": order_id,
        "status": "paid",
        "refunded_cents": 1000,
        "refundable_cents": 1580,
    }
    with pytest.raises(Conflict) as too_much:
        in_tx(
            session,
            lambda s: payments.refund_order(
                s, leader, PROVIDERS, order_id, {"amount_cents": 1581, "reason": "x"}
            ),
        )
    assert too_much.value.extra["refundable_cents"] == 1580
    for bad in (
        {"amount_cents": 0, "reason": "x"},
        {"amount_cents": -5, "reason": "x"},
        {"amount_cents": 5},
    ):
        with pytest.raises(Invalid):
            in_tx(
                session,
                lambda s, bad=bad: payments.refund_order(s, leader, PROVIDERS, order_id, bad),
            )
    rest = in_tx(
        session,
        lambda s: payments.refund_order(
            s, leader, PROVIDERS, order_id, {"amount_cents": 1580, "reason": "全部退"}
        ),
    )
    assert rest["status"] == "refunded" and rest["refundable_cents"] == 0
    refunded = events(session, "order_refunded")
    assert [e["data"]["amount_cents"] for e in refunded] == [1000, 1580]
    assert [e["data"]["whole"] for e in refunded] == [False, True]
