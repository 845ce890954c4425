"""Loyalty in crm: settings, the points ledger, tiers, coupons and the checkout they make up."""

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from services.crm import handlers, loyalty
from services.crm.community import settings
from services.crm.models import (
    Account,
    Base,
    Checkout,
    Community,
    Coupon,
    Member,
    PointsEntry,
    Purchase,
)
from services.infra.db import utcnow
from services.infra.errors import Conflict, Forbidden, Invalid, NotFound
from services.infra.messaging import OutboxMessage


@pytest.fixture
def session(make_session):
    session = make_session(Base, "crm")
    with session.begin():
        for tenant in ("t1", "t2"):
            session.add(
                Community(id=tenant, slug=f"{tenant}-slug", name="团", leader_display_name="团长")
            )
        session.flush()
        for member_id, tenant in (("m1", "t1"), ("m2", "t1"), ("x1", "t2")):
            session.add(
                Account(
                    id=f"a-{member_id}",
                    tenant_id=tenant,
                    phone=f"1390000{member_id}",
                    password_hash="-",
                    role="member",
                    display_name=member_id,
                )
            )
            session.flush()
            session.add(
                Member(
                    id=member_id,
                    tenant_id=tenant,
                    account_id=f"a-{member_id}",
                    name=member_id,
                    building="3",
                    unit="501",
                )
            )
    return session


@pytest.fixture
def leader(caller):
    return caller("leader", tenant_id="t1")


@pytest.fixture
def m1(caller):
    return caller("member", tenant_id="t1", member_id="m1", account_id="a-m1")


def grant(session, points, member_id="m1", tenant_id="t1"):
    """Points from somewhere (a leader's adjustment): the ledger is the only source of balance."""
    with session.begin():
        session.add(
            PointsEntry(
                tenant_id=tenant_id,
                member_id=member_id,
                delta=points,
                kind="adjusted",
                entry_key=f"adjusted:{uuid.uuid4()}",
                reason="test",
            )
        )


def balance(session, member_id="m1"):
    with session.begin():
        return loyalty.balance(session, "t1", member_id)


def ledger_sum(session, member_id="m1"):
    with session.begin():
        return (
            session.scalar(
                select(func.sum(PointsEntry.delta)).where(PointsEntry.member_id == member_id)
            )
            or 0
        )


def ledger(session, order_id):
    with session.begin():
        return [
            (entry.kind, entry.delta)
            for entry in session.scalars(
                select(PointsEntry)
                .where(PointsEntry.order_id == order_id)
                .order_by(PointsEntry.created_at)
            )
        ]


def coupon(session, member_id="m1", tenant_id="t1", key=None, **spec):
    spec = {
        key: value
        for key, value in {"kind": "fixed", "amount_cents": 1000, "valid_days": 30, **spec}.items()
        if value is not None
    }
    with session.begin():
        return loyalty.issue_coupon(
            session, tenant_id, member_id, spec, "manual", key or str(uuid.uuid4())
        ).id


def coupon_row(session, coupon_id):
    with session.begin():
        return session.get(Coupon, coupon_id)


def checkout(
    session, caller, order_id="o1", subtotal=20000, coupon_id=None, points=0, member_id=None
):
    payload = {
        "order_id": order_id,
        "member_id": member_id or caller.member_id,
        "subtotal_cents": subtotal,
        "coupon_id": coupon_id,
        "points_to_use": points,
    }
    with session.begin():
        return loyalty.apply_checkout(session, caller, payload)


def event(event_type, order_id, total_cents, member_id="m1", tenant_id="t1", **data):
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "version": 1,
        "occurred_at": utcnow().isoformat(),
        "tenant_id": tenant_id,
        "correlation_id": None,
        "data": {
            "order_id": order_id,
            "member_id": member_id,
            "total_cents": total_cents,
            "lines": [],
            **data,
        },
    }


def deliver(session, handler, envelope, times=1):
    for _ in range(times):
        with session.begin():
            handler(session, envelope)


def purchase(session, order_id, total_cents, days_ago=10, status="paid", member_id="m1"):
    with session.begin():
        session.add(
            Purchase(
                order_id=order_id,
                tenant_id="t1",
                member_id=member_id,
                status=status,
                total_cents=total_cents,
                lines=[],
                placed_at=utcnow() - timedelta(days=days_ago),
            )
        )


# --- settings --------------------------------------------------------------------------------


def test_settings_have_defaults_and_take_partial_updates(session, leader, caller):
    with session.begin():
        shown = settings.get_settings(session, leader)
    assert shown["points_per_yuan"] == 1 and shown["max_points_ratio_percent"] == 50
    assert [tier["name"] for tier in shown["tiers"]] == ["普通", "银卡", "金卡"]
    assert shown["points_value"] == {"points": 100, "cents": 100}
    with session.begin():
        changed = settings.update_settings(session, leader, {"points_per_yuan": 3})
    assert changed["points_per_yuan"] == 3 and changed["tiers"] == shown["tiers"]
    with session.begin():
        assert (
            settings.get_settings(session, caller("staff", tenant_id="t1"))["points_per_yuan"] == 3
        )
        assert (
            settings.for_tenant(session, "t2")["points_per_yuan"] == 1
        )  # another community untouched


@pytest.mark.parametrize(
    "change",
    [
        {
            "tiers": [
                {"name": "A", "min_spend_cents": 0, "discount_percent": 0},
                {"name": "B", "min_spend_cents": 0, "discount_percent": 2},
            ]
        },  # not strictly increasing
        {
            "tiers": [
                {"name": "A", "min_spend_cents": 0, "discount_percent": 5},
                {"name": "B", "min_spend_cents": 100, "discount_percent": 2},
            ]
        },  # discount falls
        {
            "tiers": [{"name": "A", "min_spend_cents": 100, "discount_percent": 0}]
        },  # must start at 0
        {
            "tiers": [
                {"name": "A", "min_spend_cents": 0, "discount_percent": 0},
                {"name": "B", "min_spend_cents": 10, "discount_percent": 31},
            ]
        },  # discount above 30
        {"tiers": []},
        {"points_per_yuan": 101},
        {"points_per_yuan": -1},
        {"max_points_ratio_percent": 101},
        {"points_value": 5},  # fixed, read-only
        {"admission": {"mode": "lottery"}},  # not a mode
        {"points_per_yuan": 2, "bogus": 1},
    ],
)
def test_bad_settings_are_refused_and_change_nothing(session, leader, change):
    with session.begin():
        before = settings.get_settings(session, leader)
    with pytest.raises(Invalid), session.begin():
        settings.update_settings(session, leader, change)
    with session.begin():
        assert settings.get_settings(session, leader) == before


def test_only_the_leader_changes_settings(session, caller, m1):
    with pytest.raises(Forbidden), session.begin():
        settings.update_settings(session, caller("staff", tenant_id="t1"), {"points_per_yuan": 5})
    with pytest.raises(Forbidden), session.begin():
        settings.get_settings(session, m1)


# --- tiers -----------------------------------------------------------------------------------


def test_tier_by_trailing_365_day_spend_less_refunds(session, m1):
    tiers = settings.DEFAULTS["tiers"]
    assert loyalty.tier_for(tiers, 0)["name"] == "普通"
    assert loyalty.tier_for(tiers, 49_999)["name"] == "普通"
    assert loyalty.tier_for(tiers, 50_000) == {"name": "银卡", "discount_percent": 2}
    assert loyalty.tier_for(tiers, 200_000)["name"] == "金卡"

    purchase(session, "old", 900_000, days_ago=400)  # outside the window
    purchase(session, "cancelled", 900_000, status="cancelled")
    purchase(session, "unpaid", 900_000, status="placed")
    purchase(session, "p1", 30_000)
    purchase(session, "p2", 30_000)
    with session.begin():
        assert loyalty.trailing_spend(session, "t1", "m1") == 60_000
        assert loyalty.member_tier(session, "t1", "m1")["name"] == "银卡"
    # A partial refund of 20,000 takes the member back below 银卡.
    deliver(
        session,
        handlers.record_order_refunded,
        event(
            "order_refunded",
            "p2",
            30_000,
            amount_cents=20_000,
            refunded_total_cents=20_000,
            whole=False,
        ),
    )
    with session.begin():
        assert loyalty.trailing_spend(session, "t1", "m1") == 40_000
        me = handlers.get_me(session, m1)["member"]
    assert me["tier"]["name"] == "普通" and me["points"] == 0


# --- coupons ---------------------------------------------------------------------------------


def test_issue_coupon_is_idempotent_on_its_source_key(session):
    first = coupon(session, key="birthday:m1:2026")
    again = coupon(session, key="birthday:m1:2026", amount_cents=5000)
    assert first == again
    with session.begin():
        assert session.scalar(select(func.count(Coupon.id))) == 1
    assert coupon_row(session, first).amount_cents == 1000


@pytest.mark.parametrize(
    "payload",
    [
        {"kind": "fixed", "amount_cents": -100, "valid_days": 7},
        {"kind": "fixed", "amount_cents": 0, "valid_days": 7},
        {"kind": "fixed", "amount_cents": 500, "valid_days": 0},
        {"kind": "fixed", "amount_cents": 500, "valid_days": -3},
        {"kind": "fixed", "valid_days": 7},
        {"kind": "fixed", "amount_cents": 500, "percent": 10, "valid_days": 7},
        {"kind": "percent", "percent": 91, "cap_cents": 500, "valid_days": 7},
        {"kind": "percent", "percent": 0, "cap_cents": 500, "valid_days": 7},
        {"kind": "percent", "percent": 10, "valid_days": 7},
        {
            "kind": "percent",
            "percent": 10,
            "cap_cents": 500,
            "min_spend_cents": -1,
            "valid_days": 7,
        },
        {"kind": "gift", "amount_cents": 500, "valid_days": 7},
    ],
)
def test_bad_coupons_are_refused(session, leader, payload):
    with pytest.raises(Invalid), session.begin():
        loyalty.issue_coupon_by_hand(session, leader, "m1", payload)
    with session.begin():
        assert session.scalar(select(func.count(Coupon.id))) == 0


def test_leader_issues_a_coupon_the_member_sees(session, leader, m1, caller):
    with session.begin():
        issued = loyalty.issue_coupon_by_hand(
            session,
            leader,
            "m1",
            {
                "kind": "percent",
                "percent": 10,
                "cap_cents": 500,
                "min_spend_cents": 2000,
                "valid_days": 7,
            },
        )
    assert (
        issued["status"] == "available" and issued["source"] == "manual" and issued["percent"] == 10
    )
    with pytest.raises(NotFound), session.begin():  # a member of another community
        loyalty.issue_coupon_by_hand(
            session, leader, "x1", {"kind": "fixed", "amount_cents": 1, "valid_days": 1}
        )
    with pytest.raises(Forbidden), session.begin():
        loyalty.issue_coupon_by_hand(
            session, m1, "m1", {"kind": "fixed", "amount_cents": 1, "valid_days": 1}
        )
    expired = coupon(session)
    with session.begin():
        session.get(Coupon, expired).valid_until = utcnow() - timedelta(minutes=1)
    with session.begin():
        wallet = loyalty.my_coupons(session, m1, {})
        gone = loyalty.my_coupons(session, m1, {"status": "expired"})
        other = loyalty.my_coupons(
            session, caller("member", tenant_id="t1", member_id="m2"), {"status": "all"}
        )
    assert [c["id"] for c in wallet["items"]] == [issued["id"]]
    assert [(c["id"], c["status"]) for c in gone["items"]] == [(expired, "expired")]
    assert other["items"] == []


def test_percent_coupons_are_capped_and_fixed_ones_never_exceed_the_amount(session, m1):
    capped = coupon(session, kind="percent", amount_cents=None, percent=50, cap_cents=700)
    answer = checkout(session, m1, "o-cap", subtotal=10_000, coupon_id=capped)
    assert answer["coupon_discount_cents"] == 700 and answer["total_cents"] == 9_300
    big = coupon(session, amount_cents=5_000)
    answer = checkout(session, m1, "o-big", subtotal=3_000, coupon_id=big)
    assert answer["coupon_discount_cents"] == 3_000 and answer["total_cents"] == 0


# --- checkout --------------------------------------------------------------------------------


def test_checkout_tells_orders_the_tier_discount_and_until_when_it_surely_holds(
    session, m1, caller
):
    """orders remembers these terms to price orders without coupon or points by itself."""
    before = utcnow()
    terms = checkout(
        session, caller("member", tenant_id="t1", member_id="m2"), "o-new", member_id="m2"
    )["terms"]
    assert terms["discount_percent"] == 0  # no purchase: the terms hold a day at most
    assert (
        timedelta(days=1)
        <= datetime.fromisoformat(terms["valid_until"]) - before
        < timedelta(days=1, minutes=1)
    )

    purchase(session, "p-old", 60_000, days_ago=364.5)  # 银卡 until this purchase leaves the year
    terms = checkout(session, m1, "o1")["terms"]
    assert terms["discount_percent"] == 2
    assert abs(
        datetime.fromisoformat(terms["valid_until"]) - (before + timedelta(days=0.5))
    ) < timedelta(minutes=1)


def terms_changes(session):
    with session.begin():
        return [
            row.payload["data"]
            for row in session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.event_type == "checkout_terms_changed")
                .order_by(OutboxMessage.id)
            )
        ]


def order_event(event_type, order_id, total_cents, **extra):
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "version": 1,
        "tenant_id": "t1",
        "occurred_at": utcnow().isoformat(),
        "correlation_id": None,
        "data": {
            "order_id": order_id,
            "member_id": "m1",
            "total_cents": total_cents,
            "lines": [],
            "placed_at": utcnow().isoformat(),
            **extra,
        },
    }


def test_orders_hears_when_a_members_tier_discount_or_the_tier_rules_change(session, leader):
    with session.begin():
        handlers.record_order_paid(session, order_event("order_paid", "o1", 30_000))
    assert terms_changes(session) == []  # still 普通: nothing orders keeps changed
    with session.begin():
        handlers.record_order_paid(session, order_event("order_paid", "o2", 30_000))
    assert terms_changes(session) == [{"member_id": "m1"}]  # 60,000 spent: 银卡
    with session.begin():
        handlers.record_order_refunded(
            session,
            order_event("order_refunded", "o2", 30_000, refunded_total_cents=20_000, whole=False),
        )
    assert terms_changes(session) == [{"member_id": "m1"}] * 2  # back under 50,000
    with session.begin():
        settings.update_settings(session, leader, {"points_per_yuan": 2})
    assert len(terms_changes(session)) == 2
    with session.begin():
        settings.update_settings(
            session,
            leader,
            {
                "tiers": [
                    {"name": "A", "min_spend_cents": 0, "discount_percent": 0},
                    {"name": "B", "min_spend_cents": 100, "discount_percent": 3},
                ]
            },
        )
    assert terms_changes(session)[-1] == {"member_id": None}  # the whole community's


def test_checkout_applies_tier_then_coupon_then_points_and_holds_them(session, m1):
    purchase(session, "p1", 60_000)  # 银卡: 2 %
    grant(session, 5_000)
    c = coupon(session, amount_cents=1_000, min_spend_cents=19_000)
    answer = checkout(session, m1, "o1", subtotal=20_000, coupon_id=c, points=3_000)
    assert answer["tier_name"] == "银卡" and answer["tier_discount_cents"] == 400
    assert answer["coupon_discount_cents"] == 1_000
    assert answer["points_used"] == answer["points_discount_cents"] == 3_000
    assert answer["discount_cents"] == 4_400 and answer["total_cents"] == 15_600
    assert (
        coupon_row(session, c).status == "locked" and coupon_row(session, c).locked_order_id == "o1"
    )
    assert balance(session) == 2_000 == ledger_sum(session)
    with session.begin():
        assert loyalty.held(session, "t1", "m1") == 3_000

    # The same order id again: the same answer, nothing held twice.
    answer.pop("terms")
    assert checkout(session, m1, "o1", subtotal=20_000, coupon_id=c, points=3_000) == answer
    assert balance(session) == 2_000 and ledger(session, "o1") == [("held", -3_000)]

    # Released: all back; releasing again changes nothing; the order id cannot check out again.
    with session.begin():
        assert loyalty.release_checkout(session, m1, "o1")["status"] == "released"
    with session.begin():
        loyalty.release_checkout(session, m1, "o1")
    assert balance(session) == 5_000 == ledger_sum(session)
    assert (
        coupon_row(session, c).status == "available"
        and coupon_row(session, c).locked_order_id is None
    )
    with pytest.raises(Conflict):
        checkout(session, m1, "o1", subtotal=20_000)


def test_points_may_pay_only_up_to_the_ratio_and_the_balance(session, m1):
    grant(session, 8_000)
    with pytest.raises(Conflict) as over:
        checkout(session, m1, "o1", subtotal=10_000, points=5_001)  # 50 % of 10,000
    assert (
        over.value.extra["reason"] == "points_over_limit"
        and over.value.extra["max_points"] == 5_000
    )
    with pytest.raises(Conflict) as short:
        checkout(session, m1, "o1", subtotal=100_000, points=8_001)
    assert (
        short.value.extra["reason"] == "points_insufficient"
        and short.value.extra["balance"] == 8_000
    )
    assert "points_to_use" in short.value.extra["errors"]
    assert checkout(session, m1, "o1", subtotal=10_000, points=5_000)["total_cents"] == 5_000
    # Held points cannot be spent again by a second order.
    with pytest.raises(Conflict) as again:
        checkout(session, m1, "o2", subtotal=100_000, points=5_000)
    assert again.value.extra["balance"] == 3_000


def test_coupon_problems_are_refused_and_hold_nothing(session, m1, caller):
    grant(session, 1_000)
    theirs = coupon(session, member_id="m2")
    other_community = coupon(session, member_id="x1", tenant_id="t2")
    expired = coupon(session)
    with session.begin():
        session.get(Coupon, expired).valid_until = utcnow() - timedelta(seconds=1)
    picky = coupon(session, min_spend_cents=10_000)

    for coupon_id in (theirs, other_community, "no-such-coupon"):
        with pytest.raises(NotFound) as missing:
            checkout(session, m1, "o1", subtotal=20_000, coupon_id=coupon_id, points=500)
        assert "coupon_id" in missing.value.extra["errors"]
    with pytest.raises(Conflict) as late:
        checkout(session, m1, "o1", subtotal=20_000, coupon_id=expired, points=500)
    assert late.value.extra["reason"] == "coupon_expired"
    purchase(session, "p1", 60_000)  # 银卡: 10,100 - 2 % = 9,898 < 10,000
    with pytest.raises(Conflict) as small:
        checkout(session, m1, "o1", subtotal=10_100, coupon_id=picky, points=500)
    assert (
        small.value.extra["reason"] == "coupon_min_spend"
        and small.value.extra["min_spend_cents"] == 10_000
    )
    assert balance(session) == 1_000 and ledger(session, "o1") == []
    with session.begin():
        assert session.get(Checkout, "o1") is None

    # Locked by one unpaid order, a coupon cannot be used by another.
    checkout(session, m1, "o1", subtotal=20_000, coupon_id=picky)
    with pytest.raises(Conflict) as busy:
        checkout(session, m1, "o2", subtotal=20_000, coupon_id=picky)
    assert busy.value.extra["reason"] == "coupon_unavailable"
    # A member never checks out for someone else.
    with pytest.raises(Forbidden):
        checkout(session, m1, "o3", subtotal=20_000, member_id="m2")


def test_paid_redeems_the_coupon_and_spends_the_points_once(session, m1):
    grant(session, 2_000)
    c = coupon(session)
    checkout(session, m1, "o1", subtotal=20_000, coupon_id=c, points=2_000)
    paid = event("order_paid", "o1", 17_000)
    deliver(session, loyalty.on_order_paid, paid, times=2)
    assert coupon_row(session, c).status == "redeemed"
    assert ledger(session, "o1") == [("held", -2_000), ("spent", 0)]
    assert balance(session) == 0
    with session.begin():
        assert loyalty.held(session, "t1", "m1") == 0
        assert loyalty.my_coupons(session, m1, {})["items"] == []
    # A redeemed coupon is single use.
    with pytest.raises(Conflict):
        checkout(session, m1, "o2", subtotal=20_000, coupon_id=c)
    # Cancelling the paid order (money refunded in full) gives coupon and points back.
    deliver(session, loyalty.on_order_cancelled, event("order_cancelled", "o1", 17_000), times=2)
    assert coupon_row(session, c).status == "available" and balance(session) == 2_000 == ledger_sum(
        session
    )


def test_cancelling_an_unpaid_order_releases_coupon_and_points(session, m1):
    grant(session, 800)
    c = coupon(session)
    checkout(session, m1, "o1", subtotal=5_000, coupon_id=c, points=800)
    deliver(session, loyalty.on_order_cancelled, event("order_cancelled", "o1", 3_200), times=2)
    assert ledger(session, "o1") == [("held", -800), ("released", 800)]
    assert coupon_row(session, c).status == "available" and balance(session) == 800


def test_release_of_an_unknown_attempt_leaves_a_marker(session, m1, caller):
    with session.begin():
        assert (
            loyalty.release_checkout(session, caller("system", tenant_id="t1"), "ghost")["status"]
            == "released"
        )
    with pytest.raises(Conflict):
        checkout(session, m1, "ghost", subtotal=1_000)
    with pytest.raises(Forbidden), session.begin():
        loyalty.release_checkout(session, caller("leader", tenant_id="t1"), "o9")


# --- earning and refunds ---------------------------------------------------------------------


def test_points_are_earned_once_on_completion(session, m1, leader):
    with session.begin():
        settings.update_settings(session, leader, {"points_per_yuan": 2})
    checkout(session, m1, "o1", subtotal=12_399)
    deliver(session, loyalty.on_order_paid, event("order_paid", "o1", 12_399))
    deliver(session, loyalty.on_order_completed, event("order_completed", "o1", 12_399), times=2)
    assert ledger(session, "o1") == [("earned", 247)]  # floor(123.99 yuan x 2)
    with session.begin():
        points = loyalty.my_points(session, m1, {})
    assert points["balance"] == 247 == ledger_sum(session) and points["held"] == 0
    assert [(e["kind"], e["delta"], e["order_id"]) for e in points["items"]] == [
        ("earned", 247, "o1")
    ]


def test_refunds_reverse_earned_and_return_spent_points_in_proportion(session, m1):
    grant(session, 1_000)
    checkout(session, m1, "o1", subtotal=20_000, points=1_000)  # pays 19,000
    deliver(session, loyalty.on_order_paid, event("order_paid", "o1", 19_000))
    deliver(session, loyalty.on_order_completed, event("order_completed", "o1", 19_000))  # +190
    assert balance(session) == 190

    def refund(amount, refunded_total, whole=False):
        envelope = event(
            "order_refunded",
            "o1",
            19_000,
            amount_cents=amount,
            refunded_total_cents=refunded_total,
            whole=whole,
        )
        deliver(
            session, loyalty.on_order_refunded, envelope, times=2
        )  # delivered twice, applied once

    refund(4_750, 4_750)  # a quarter
    assert balance(session) == 190 - 47 + 250
    refund(4_750, 9_500)  # half in all
    assert balance(session) == 190 - 95 + 500
    refund(9_500, 19_000, whole=True)
    assert balance(session) == 1_000 == ledger_sum(session)  # as before the order
    entries = ledger(session, "o1")
    assert sum(d for k, d in entries if k == "reversed") == -190
    assert sum(d for k, d in entries if k == "returned") == 1_000


def test_a_reversal_never_takes_the_balance_below_zero(session, m1):
    checkout(session, m1, "o1", subtotal=50_000)
    deliver(session, loyalty.on_order_paid, event("order_paid", "o1", 50_000))
    deliver(session, loyalty.on_order_completed, event("order_completed", "o1", 50_000))  # +500
    checkout(session, m1, "o2", subtotal=100_000, points=400)  # spends most of it
    deliver(session, loyalty.on_order_paid, event("order_paid", "o2", 99_600))
    deliver(
        session,
        loyalty.on_order_refunded,
        event(
            "order_refunded",
            "o1",
            50_000,
            amount_cents=50_000,
            refunded_total_cents=50_000,
            whole=True,
        ),
    )
    assert balance(session) == 0 == ledger_sum(session)
    with session.begin():
        [reversal] = session.scalars(
            select(PointsEntry).where(PointsEntry.kind == "reversed")
        ).all()
    assert reversal.delta == -100 and "400 of 500" in reversal.reason


def test_order_events_of_another_community_touch_nothing(session, m1):
    grant(session, 500)
    checkout(session, m1, "o1", subtotal=5_000, points=500)
    with pytest.raises(NotFound), session.begin():
        loyalty.on_order_cancelled(session, event("order_cancelled", "o1", 4_500, tenant_id="t2"))
    assert ledger(session, "o1") == [("held", -500)]


def test_events_out_of_order_give_back_no_more_than_was_spent(session, m1):
    # Paid, half refunded, then cancelled; crm hears the refund and the cancellation before the
    # payment.
    grant(session, 1_000)
    checkout(session, m1, "o1", subtotal=10_000, points=1_000)
    deliver(
        session,
        loyalty.on_order_refunded,
        event(
            "order_refunded",
            "o1",
            9_000,
            amount_cents=4_500,
            refunded_total_cents=4_500,
            whole=False,
        ),
    )
    deliver(session, loyalty.on_order_cancelled, event("order_cancelled", "o1", 9_000))
    deliver(session, loyalty.on_order_paid, event("order_paid", "o1", 9_000))
    assert balance(session) == 1_000 == ledger_sum(session)
    assert ledger(session, "o1") == [("held", -1_000), ("returned", 500), ("released", 500)]


def test_the_leader_adjusts_points_but_never_below_zero(session, leader, m1):
    with session.begin():
        assert (
            loyalty.adjust_points(session, leader, "m1", {"delta": 300, "reason": "老顾客感谢"})[
                "balance"
            ]
            == 300
        )
    with pytest.raises(Conflict) as below, session.begin():
        loyalty.adjust_points(session, leader, "m1", {"delta": -301, "reason": "更正"})
    assert below.value.extra["reason"] == "points_insufficient"
    for bad in ({"delta": 0, "reason": "x"}, {"delta": 5}, {"delta": 10**8, "reason": "x"}):
        with pytest.raises(Invalid), session.begin():
            loyalty.adjust_points(session, leader, "m1", bad)
    with pytest.raises(NotFound), session.begin():
        loyalty.adjust_points(session, leader, "x1", {"delta": 5, "reason": "other community"})
    with pytest.raises(Forbidden), session.begin():
        loyalty.adjust_points(session, m1, "m1", {"delta": 5, "reason": "myself"})
    with session.begin():
        mine = loyalty.my_points(session, m1, {})
    assert mine["balance"] == 300 == ledger_sum(session)
    assert [(e["kind"], e["delta"], e["reason"]) for e in mine["items"]] == [
        ("adjusted", 300, "老顾客感谢")
    ]
