"""Orders' side of after-sale (售后): refunds after completion, ``Idempotency-Key`` on the payment
calls (pay, mark-paid, refund), and cases and compensations on the order's history."""

import dataclasses

import pytest
from conftest import OTHER_TENANT, TENANT, FakeCatalog, FakeCrm, envelope, every_product
from sqlalchemy import select

from services.infra.db import in_transaction, utcnow
from services.infra.errors import Conflict
from services.infra.messaging import OutboxMessage
from services.orders import after_sale_events, fulfilment_events, handlers, payments
from services.orders.models import Base, Order, Payment, Refund
from services.orders.schemas import ORDER

PROVIDERS = {
    "offline": payments.OfflineProvider(),
    "sandbox": payments.SandboxProvider("http://linli.test", 0),
}


CATALOG = FakeCatalog(every_product("草莓", 2500), unit="盒")


@pytest.fixture
def session(make_session):
    return make_session(Base, "orders")


@pytest.fixture
def leader(caller):
    return caller("leader")


@pytest.fixture
def member(caller):
    return caller("member", member_id="member-1")


@pytest.fixture
def order_id(session, member):
    """An unpaid order of 2 x 25 yuan."""
    return handlers.place_order(
        session, CATALOG, FakeCrm(), member, {"items": [{"product_id": "berry", "quantity": 2}]}
    )["id"]


def event(event_type, data, tenant_id=TENANT):
    return envelope(event_type, data, tenant_id, correlation_id="c-1")


def apply(session, handler, payload):
    with session.begin():
        handler(session, payload)


def complete(session, leader, order_id):
    with session.begin():
        payments.mark_paid_offline(session, leader, PROVIDERS, order_id)
    step = {"order_id": order_id, "member_id": "member-1", "at": utcnow().isoformat()}
    apply(session, fulfilment_events.apply_order_picked_up, event("order_picked_up", step))


def order_of(session, order_id):
    with session.begin():
        return ORDER.dump(session.get(Order, order_id))


def refund(session, leader, order_id, amount, key=None, reason="售后: 破损"):
    return in_transaction(
        session,
        payments.refund_order,
        leader,
        PROVIDERS,
        order_id,
        {"amount_cents": amount, "reason": reason},
        key,
    )


def outbox(session, event_type):
    with session.begin():
        return [
            r.payload["data"]
            for r in session.scalars(select(OutboxMessage))
            if r.event_type == event_type
        ]


# --- refunds after completion ----------------------------------------------------------------


def test_a_completed_order_is_refunded_in_part_then_whole_never_more(session, leader, order_id):
    complete(session, leader, order_id)
    assert order_of(session, order_id)["status"] == "completed"
    part = refund(session, leader, order_id, 1200)
    assert part == {
        "order_id": order_id,
        "status": "completed",
        "refunded_cents": 1200,
        "refundable_cents": 3800,
    }
    with pytest.raises(Conflict) as too_much:
        refund(session, leader, order_id, 3801)
    assert too_much.value.extra == {"reason": "exceeds_paid", "refundable_cents": 3800}
    rest = refund(session, leader, order_id, 3800)
    assert rest["status"] == "refunded" and rest["refundable_cents"] == 0
    shown = order_of(session, order_id)
    assert [s["status"] for s in shown["timeline"]][-2:] == ["completed", "refunded"]
    assert [(e["amount_cents"], e["whole"]) for e in outbox(session, "order_refunded")] == [
        (1200, False),
        (3800, True),
    ]
    with pytest.raises(Conflict):
        refund(session, leader, order_id, 1)


# --- Idempotency-Key on payment calls --------------------------------------------------------


def test_a_refund_retried_with_its_key_is_paid_once(session, leader, order_id):
    complete(session, leader, order_id)
    first = refund(session, leader, order_id, 1000, key="compensation:c1")
    again = refund(session, leader, order_id, 1000, key="compensation:c1")
    assert (
        again
        == first
        == {
            "order_id": order_id,
            "status": "completed",
            "refunded_cents": 1000,
            "refundable_cents": 4000,
        }
    )
    with session.begin():
        assert [r.amount_cents for r in session.scalars(select(Refund))] == [1000]
        assert session.scalars(select(Payment)).one().refunded_cents == 1000
    assert len(outbox(session, "order_refunded")) == 1
    with pytest.raises(Conflict) as reused:  # the same key, another body
        refund(session, leader, order_id, 2000, key="compensation:c1")
    assert reused.value.extra["reason"] == "idempotency_key_reused"
    # Another leader's session retrying the same compensation shares the community's staff keys.
    other_leader = dataclasses.replace(leader, account_id="account-2")
    assert refund(session, other_leader, order_id, 1000, key="compensation:c1") == first
    assert refund(session, leader, order_id, 1000, key="compensation:c2")["refunded_cents"] == 2000


def test_mark_paid_retried_with_its_key_answers_the_same(session, leader, order_id):
    def mark(key):
        return in_transaction(session, payments.mark_paid_offline, leader, PROVIDERS, order_id, key)

    first = mark("pay-1")
    assert first["status"] == "paid"
    assert mark("pay-1") == first
    with pytest.raises(Conflict):  # without the key the retry is told the truth: already paid
        mark(None)
    assert len(outbox(session, "order_paid")) == 1


def test_pay_retried_with_its_key_answers_the_same_and_another_body_is_409(
    session, member, leader, order_id
):
    def pay(method, key):
        return in_transaction(
            session, payments.start_payment, member, PROVIDERS, order_id, {"method": method}, key
        )

    first = pay("sandbox", "k-1")
    assert first["payment"]["status"] == "pending" and first["payment"]["pay_url"]
    with pytest.raises(Conflict) as other:
        pay("offline", "k-1")
    assert other.value.extra["reason"] == "idempotency_key_reused"
    with session.begin():
        payments.mark_paid_offline(session, leader, PROVIDERS, order_id)
    assert pay("sandbox", "k-1") == first  # the order is paid now, the retry still gets its answer


def test_keys_are_per_member_and_per_community(session, caller, member, order_id):
    # A key another member used means nothing to this member's key space, and vice versa.
    other = caller("member", member_id="member-2")
    other_order = handlers.place_order(
        session, CATALOG, FakeCrm(), other, {"items": [{"product_id": "berry", "quantity": 1}]}
    )["id"]
    mine = in_transaction(
        session, payments.start_payment, member, PROVIDERS, order_id, {"method": "sandbox"}, "same"
    )
    theirs = in_transaction(
        session,
        payments.start_payment,
        other,
        PROVIDERS,
        other_order,
        {"method": "sandbox"},
        "same",
    )
    assert mine["payment"]["id"] != theirs["payment"]["id"]
    # A key that placed an order is not a payment call's.
    handlers.place_order(
        session,
        CATALOG,
        FakeCrm(),
        member,
        {"items": [{"product_id": "berry", "quantity": 1}]},
        "placed-key",
    )
    with pytest.raises(Conflict):
        in_transaction(
            session,
            payments.start_payment,
            member,
            PROVIDERS,
            order_id,
            {"method": "sandbox"},
            "placed-key",
        )


# --- after-sale on the order's history -------------------------------------------------------


def test_cases_and_compensations_are_on_the_order(session, leader, order_id):
    complete(session, leader, order_id)
    at = utcnow().isoformat()
    opened = {
        "case_id": "case-1",
        "order_id": order_id,
        "member_id": "member-1",
        "kind": "damaged",
        "at": at,
    }
    apply(session, after_sale_events.apply_after_sale_opened, event("after_sale_opened", opened))
    shown = order_of(session, order_id)
    assert shown["after_sales"] == [
        {"id": "case-1", "kind": "damaged", "status": "open", "at": shown["after_sales"][0]["at"]}
    ]
    granted = {
        "compensation_id": "comp-1",
        "order_id": order_id,
        "member_id": "member-1",
        "type": "coupon",
        "amount": 500,
        "reason": "破损",
        "at": at,
        "case_id": "case-1",
        "case_kind": "damaged",
        "case_opened_at": at,
    }
    for _ in range(2):  # redelivered: still one
        apply(
            session,
            after_sale_events.apply_compensation_granted,
            event("compensation_granted", granted),
        )
    proactive = {
        **granted,
        "compensation_id": "comp-2",
        "type": "points",
        "amount": 200,
        "case_id": None,
        "case_kind": None,
        "case_opened_at": None,
    }
    apply(
        session,
        after_sale_events.apply_compensation_granted,
        event("compensation_granted", proactive),
    )
    shown = order_of(session, order_id)
    assert [(c["id"], c["status"]) for c in shown["after_sales"]] == [("case-1", "resolved")]
    assert [(c["type"], c["amount"]) for c in shown["compensations"]] == [
        ("coupon", 500),
        ("points", 200),
    ]
    assert set(shown["compensations"][0]) == {"type", "amount", "at"}
    # A late after_sale_opened does not reopen a resolved case.
    apply(session, after_sale_events.apply_after_sale_opened, event("after_sale_opened", opened))
    assert order_of(session, order_id)["after_sales"][0]["status"] == "resolved"


def test_a_compensation_or_rejection_ahead_of_its_case_still_lands(session, leader, order_id):
    complete(session, leader, order_id)
    at = utcnow().isoformat()
    apply(
        session,
        after_sale_events.apply_after_sale_rejected,
        event(
            "after_sale_rejected",
            {
                "case_id": "case-9",
                "order_id": order_id,
                "member_id": "member-1",
                "kind": "quality",
                "opened_at": at,
                "reason": "不是质量问题",
                "at": at,
            },
        ),
    )
    apply(
        session,
        after_sale_events.apply_after_sale_opened,
        event(
            "after_sale_opened",
            {
                "case_id": "case-9",
                "order_id": order_id,
                "member_id": "member-1",
                "kind": "quality",
                "at": at,
            },
        ),
    )
    assert [
        (c["id"], c["kind"], c["status"]) for c in order_of(session, order_id)["after_sales"]
    ] == [("case-9", "quality", "rejected")]


def test_after_sale_events_of_another_community_or_unknown_orders_are_ignored(
    session, leader, order_id
):
    complete(session, leader, order_id)
    at = utcnow().isoformat()
    opened = {
        "case_id": "case-1",
        "order_id": order_id,
        "member_id": "member-1",
        "kind": "damaged",
        "at": at,
    }
    apply(
        session,
        after_sale_events.apply_after_sale_opened,
        event("after_sale_opened", opened, OTHER_TENANT),
    )
    apply(
        session,
        after_sale_events.apply_after_sale_opened,
        event("after_sale_opened", {**opened, "case_id": "case-2", "order_id": "nope"}),
    )
    assert order_of(session, order_id)["after_sales"] == []
