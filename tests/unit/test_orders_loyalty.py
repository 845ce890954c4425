"""Placing an order with crm's checkout (tier discount, coupon, points): the saga and the money."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from conftest import TENANT, FakeCatalog, FakeCrm

from services.infra.db import set_clock, utcnow
from services.infra.errors import Conflict, Invalid, NotFound, ServiceUnavailable
from services.infra.messaging import OutboxMessage
from services.orders import checkout_terms, handlers, payments
from services.orders.models import Base, CheckoutTerms, IdempotencyKey, Order

BODY = {"items": [{"product_id": "apple", "quantity": 3}, {"product_id": "milk", "quantity": 2}]}
SUBTOTAL = 3 * 350 + 2 * 1299  # 3,648


@pytest.fixture
def session(make_session):
    return make_session(Base, "orders")


@pytest.fixture
def member(caller):
    return caller("member", member_id="member-1")


def rows(session, model):
    with session.begin():
        return session.query(model).all()


def test_discounts_from_crm_make_up_the_total(session, member, caller):
    catalog, crm = FakeCatalog(), FakeCrm(tier=72, coupon=500, points=300)
    body = {**BODY, "coupon_id": "coupon-1", "points_to_use": 300}
    order = handlers.place_order(session, catalog, crm, member, body, "k1")
    assert crm.applied == [
        {
            "order_id": order["id"],
            "member_id": "member-1",
            "subtotal_cents": SUBTOTAL,
            "coupon_id": "coupon-1",
            "points_to_use": 300,
        }
    ]
    assert order["subtotal_cents"] == SUBTOTAL
    assert order["discount_cents"] == 872 and order["total_cents"] == SUBTOTAL - 872
    assert (
        order["tier_discount_cents"],
        order["coupon_id"],
        order["coupon_discount_cents"],
        order["points_used"],
        order["points_discount_cents"],
    ) == (72, "coupon-1", 500, 300, 300)
    (placed,) = [row.payload for row in rows(session, OutboxMessage)]
    assert (
        placed["data"]["total_cents"] == SUBTOTAL - 872
        and placed["data"]["coupon_id"] == "coupon-1"
    )
    assert placed["data"]["points_used"] == 300 and placed["data"]["discount_cents"] == 872
    assert catalog.released == [] and crm.released == []
    # A retry with the same key is the same order: crm is not asked again.
    assert handlers.place_order(session, catalog, crm, member, body, "k1") == order
    assert len(crm.applied) == 1

    # The member pays the discounted total; refunds are capped by it.
    leader_providers = {"offline": payments.OfflineProvider()}
    leader = caller("leader")
    with session.begin():
        paid = payments.mark_paid_offline(session, leader, leader_providers, order["id"])
    assert paid["payment"]["amount_cents"] == SUBTOTAL - 872
    with pytest.raises(Conflict), session.begin():
        payments.refund_order(
            session,
            leader,
            leader_providers,
            order["id"],
            {"amount_cents": SUBTOTAL - 871, "reason": "too much"},
        )


@pytest.mark.parametrize(
    "failure",
    [
        Conflict("You do not have that many points.", {"reason": "points_insufficient"}),
        NotFound("No such coupon in your wallet.", {"errors": {"coupon_id": ["Not your coupon."]}}),
        ServiceUnavailable("The crm service did not answer in time."),
    ],
)
def test_a_failed_checkout_releases_the_stock_and_lets_the_error_through(session, member, failure):
    catalog, crm = FakeCatalog(), FakeCrm(fail=failure)
    with pytest.raises(type(failure)) as raised:
        handlers.place_order(session, catalog, crm, member, {**BODY, "points_to_use": 99}, "k1")
    assert raised.value.extra == failure.extra
    order_id = crm.applied[0]["order_id"]
    assert catalog.released == [order_id]
    assert crm.released == [order_id]  # harmless if nothing was held; needed after a lost answer
    assert rows(session, Order) == [] and rows(session, IdempotencyKey) == []


def test_if_writing_the_order_fails_stock_and_checkout_are_both_released(
    session, member, monkeypatch
):
    catalog, crm = FakeCatalog(), FakeCrm(points=100)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(handlers, "_new_order", broken)
    with pytest.raises(ServiceUnavailable):
        handlers.place_order(session, catalog, crm, member, {**BODY, "points_to_use": 100})
    order_id = crm.applied[0]["order_id"]
    assert catalog.released == [order_id] and crm.released == [order_id]


def test_a_discount_that_does_not_add_up_is_refused(session, member):
    class Greedy(FakeCrm):
        def apply_checkout(self, payload):
            answer = super().apply_checkout(payload)
            return {**answer, "discount_cents": SUBTOTAL + 1, "total_cents": -1}

    catalog, crm = FakeCatalog(), Greedy()
    with pytest.raises(ServiceUnavailable):
        handlers.place_order(session, catalog, crm, member, BODY)
    assert rows(session, Order) == [] and len(catalog.released) == 1 and len(crm.released) == 1


def test_coupon_and_points_input_is_validated_before_anything_is_reserved(session, member):
    catalog, crm = FakeCatalog(), FakeCrm()
    for bad in (
        {"points_to_use": -1},
        {"points_to_use": 10**7 + 1},
        {"points_to_use": "5"},
        {"coupon_id": ""},
        {"coupon_id": "x" * 33},
    ):
        with pytest.raises(Invalid):
            handlers.place_order(session, catalog, crm, member, {**BODY, **bad})
    assert catalog.reserved == [] and crm.applied == []


def test_the_sweeper_releases_crms_checkout_of_abandoned_attempts(session, member):
    with session.begin():
        session.add(
            IdempotencyKey(
                tenant_id="tenant-a",
                member_id="member-1",
                key="lost",
                request_hash="h",
                order_id="attempt-1",
            )
        )
    catalog, crm = FakeCatalog(), FakeCrm(fail_release=ServiceUnavailable("crm is down"))
    with pytest.raises(ServiceUnavailable):  # crm down: the attempt is kept for the next round
        handlers.release_abandoned(
            session, lambda tenant: catalog, lambda tenant: crm, older_than=timedelta(0)
        )
    assert len(rows(session, IdempotencyKey)) == 1
    crm.fail_release = None
    assert (
        handlers.release_abandoned(
            session, lambda tenant: catalog, lambda tenant: crm, older_than=timedelta(0)
        )
        == 1
    )
    assert crm.released == ["attempt-1", "attempt-1"] and rows(session, IdempotencyKey) == []


# --- crm's checkout terms, remembered (services/orders/checkout_terms.py) ---------------------
# Orders prices an order without coupon or points by itself while it knows the member's tier
# discount from crm, and asks crm again once it changed or expired.

START = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


class TermsCrm(FakeCrm):
    """crm's checkout answer with the member's terms, as crm sends them."""

    def __init__(self, percent, valid_for=timedelta(days=1), **kwargs):
        super().__init__(**kwargs)
        self.percent, self.valid_for = percent, valid_for

    def apply_checkout(self, payload):
        tier = payload["subtotal_cents"] * self.percent // 100
        self.tier = tier
        answer = super().apply_checkout(payload)
        return {
            **answer,
            "terms": {
                "discount_percent": self.percent,
                "valid_until": (utcnow() + self.valid_for).isoformat(),
            },
        }


@pytest.fixture
def clock():
    moments = {"now": START}
    set_clock(lambda: moments["now"])
    yield moments
    set_clock(None)


def terms_changed(session, member_id, tenant_id=TENANT):
    event = {
        "event_id": str(uuid.uuid4()),
        "event_type": "checkout_terms_changed",
        "tenant_id": tenant_id,
        "data": {"member_id": member_id},
    }
    with session.begin():
        checkout_terms.record_change(session, event)


def place(session, crm, member, body=BODY):
    return handlers.place_order(session, FakeCatalog(), crm, member, body)


def test_the_second_plain_order_needs_no_call_to_crm_and_costs_the_same(session, member, clock):
    crm = TermsCrm(percent=2)
    first = place(session, crm, member)
    clock["now"] += timedelta(minutes=1)
    second = place(session, crm, member)
    assert len(crm.applied) == 1
    discount = SUBTOTAL * 2 // 100
    for order in (first, second):
        assert (order["tier_discount_cents"], order["discount_cents"], order["total_cents"]) == (
            discount,
            discount,
            SUBTOTAL - discount,
        )
    assert second["coupon_id"] is None and second["points_used"] == 0


def test_a_coupon_or_points_always_go_through_crm(session, member, clock):
    crm = TermsCrm(percent=0)
    place(session, crm, member)
    place(session, crm, member, {**BODY, "points_to_use": 10})
    place(session, crm, member, {**BODY, "coupon_id": "coupon-1"})
    assert len(crm.applied) == 3


def test_terms_are_asked_again_after_they_expire(session, member, clock):
    crm = TermsCrm(percent=5, valid_for=timedelta(hours=3))
    place(session, crm, member)
    clock["now"] += timedelta(hours=2)
    place(session, crm, member)
    assert len(crm.applied) == 1
    clock["now"] += timedelta(hours=1)
    place(session, crm, member)
    assert len(crm.applied) == 2


@pytest.mark.parametrize("changed", ["member-1", None])
def test_a_change_crm_announces_sends_the_next_order_to_crm(session, member, clock, changed):
    crm = TermsCrm(percent=2)
    place(session, crm, member)
    clock["now"] += timedelta(minutes=1)
    terms_changed(session, changed)  # a tier upgrade, or the community's new tier rules
    crm.percent = 5
    clock["now"] += timedelta(minutes=1)
    upgraded = place(session, crm, member)
    assert len(crm.applied) == 2 and upgraded["tier_discount_cents"] == SUBTOTAL * 5 // 100
    clock["now"] += timedelta(minutes=1)
    assert place(session, crm, member)["tier_discount_cents"] == SUBTOTAL * 5 // 100
    assert len(crm.applied) == 2  # the fresh terms are kept again


def test_terms_fetched_before_a_change_was_heard_do_not_count(session, member, clock):
    """crm's answer may have left before the change, and be written after orders heard of it."""
    with session.begin():
        checkout_terms.remember(
            session,
            TENANT,
            "member-1",
            {
                "terms": {
                    "discount_percent": 2,
                    "valid_until": (START + timedelta(days=1)).isoformat(),
                }
            },
            fetched_at=START,
        )
    terms_changed(session, "member-1")  # heard at START: the call left no later than that
    with session.begin():
        assert checkout_terms.discount_percent(session, TENANT, "member-1") is None
    clock["now"] += checkout_terms.CLOCK_MARGIN * 2
    with session.begin():
        checkout_terms.remember(
            session,
            TENANT,
            "member-1",
            {
                "terms": {
                    "discount_percent": 5,
                    "valid_until": (START + timedelta(days=1)).isoformat(),
                }
            },
            fetched_at=utcnow(),
        )
        assert checkout_terms.discount_percent(session, TENANT, "member-1") == 5
        # An older answer arriving late does not replace newer terms.
        checkout_terms.remember(
            session,
            TENANT,
            "member-1",
            {
                "terms": {
                    "discount_percent": 2,
                    "valid_until": (START + timedelta(days=1)).isoformat(),
                }
            },
            fetched_at=START,
        )
        assert checkout_terms.discount_percent(session, TENANT, "member-1") == 5


def test_another_communitys_change_or_terms_do_not_count(session, member, clock):
    crm = TermsCrm(percent=2)
    place(session, crm, member)
    terms_changed(session, None, tenant_id="another-community")
    clock["now"] += timedelta(minutes=1)
    place(session, crm, member)
    assert len(crm.applied) == 1
    with session.begin():
        assert checkout_terms.discount_percent(session, "another-community", "member-1") is None


@pytest.mark.parametrize(
    "terms",
    [
        None,
        "soon",
        {"discount_percent": 101, "valid_until": START.isoformat()},
        {"discount_percent": 2},
    ],
)
def test_an_answer_without_valid_terms_is_not_kept(session, member, clock, terms):
    class Odd(FakeCrm):
        def apply_checkout(self, payload):
            return {**super().apply_checkout(payload), "terms": terms}

    crm = Odd()
    place(session, crm, member)
    place(session, crm, member)
    assert len(crm.applied) == 2
    with session.begin():
        assert session.query(CheckoutTerms).count() == 0
