"""crm's state changes are compare-and-set and its periodic work is claimed (the PostgreSQL
races themselves: tests/integration/test_crm_races.py)."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from services.crm import handlers, loyalty
from services.crm.community import claims
from services.crm.loyalty import coupons
from services.crm.models import Account, Base, Community, Coupon, Member, PeriodicClaim, PointsEntry
from services.infra.db import utcnow

NOW = utcnow()
DAY = timedelta(days=1)


@pytest.fixture
def session(make_session):
    session = make_session(Base, "crm")
    with session.begin():
        for tenant in ("t1", "t2", "t3"):
            session.add(
                Community(id=tenant, slug=f"{tenant}-slug", name="团", leader_display_name="团长")
            )
        session.flush()
        session.add(
            Account(
                id="a-m1",
                tenant_id="t1",
                phone="13900000001",
                password_hash="-",
                role="member",
                display_name="李姐",
            )
        )
        session.flush()
        session.add(
            Member(
                id="m1", tenant_id="t1", account_id="a-m1", name="李姐", building="3", unit="501"
            )
        )
    return session


def test_a_unit_is_claimed_once_per_period(session):
    with session.begin():
        first = claims.claim(session, "job", "t1", NOW, DAY)
    with session.begin():
        again = claims.claim(session, "job", "t1", NOW + timedelta(hours=23), DAY)
        other_unit = claims.claim(session, "job", "t2", NOW, DAY)
        other_job = claims.claim(session, "other", "t1", NOW, DAY)
    with session.begin():
        next_day = claims.claim(session, "job", "t1", NOW + DAY, DAY)
    assert (first, again, other_unit, other_job, next_day) == (True, False, True, True, True)


def test_a_claim_rolls_back_with_the_work(session):
    with pytest.raises(RuntimeError), session.begin():
        claims.claim(session, "job", "t1", NOW, DAY)
        raise RuntimeError("the work failed")
    with session.begin():
        assert claims.claim(session, "job", "t1", NOW, DAY) is True


def test_the_tag_refresh_does_each_community_once_a_day(session):
    assert handlers.refresh_tags(session, NOW) == ["t1", "t2", "t3"]
    assert handlers.refresh_tags(session, NOW + timedelta(hours=1)) == []
    assert handlers.refresh_tags(session, NOW + DAY) == ["t1", "t2", "t3"]
    with session.begin():
        leases = session.scalar(select(func.count()).select_from(PeriodicClaim))
    assert leases == 3


def test_a_community_whose_refresh_fails_is_tried_again_and_spares_the_others(session, monkeypatch):
    original = handlers.refresh_community_tags

    def failing(session_, tenant_id, now=None):
        if tenant_id == "t2":
            raise RuntimeError("boom")
        return original(session_, tenant_id, now)

    monkeypatch.setattr(handlers, "refresh_community_tags", failing)
    assert handlers.refresh_tags(session, NOW) == ["t1", "t3"]
    monkeypatch.setattr(handlers, "refresh_community_tags", original)
    assert handlers.refresh_tags(session, NOW + timedelta(minutes=5)) == ["t2"]


@pytest.fixture
def coupon(session):
    with session.begin():
        return loyalty.issue_coupon(
            session,
            "t1",
            "m1",
            {"kind": "fixed", "amount_cents": 300, "valid_days": 3},
            "manual",
            "manual:c1",
        )


def test_every_coupon_move_is_compare_and_set(session, coupon):
    with session.begin():
        locked = [coupons.lock(session, coupon.id, "o1"), coupons.lock(session, coupon.id, "o2")]
        wrong_commit = coupons.commit(session, coupon.id, "o2")
        released = [
            coupons.release(session, coupon.id, "o1"),
            coupons.release(session, coupon.id, "o1"),
        ]
        relocked = coupons.lock(session, coupon.id, "o3")
        committed = [
            coupons.commit(session, coupon.id, "o3"),
            coupons.commit(session, coupon.id, "o3"),
        ]
        release_redeemed = coupons.release(session, coupon.id, "o3")  # only locked by default
        cancel_paid = coupons.release(session, coupon.id, "o3", ("locked", "redeemed"))
        status = session.get(Coupon, coupon.id).status
    assert (
        locked,
        wrong_commit,
        released,
        relocked,
        committed,
        release_redeemed,
        cancel_paid,
        status,
    ) == ([True, False], False, [True, False], True, [True, False], False, True, "available")


def test_a_hold_released_twice_gives_back_once(session, caller, coupon):
    member = caller("member", tenant_id="t1", member_id="m1", account_id="a-m1")
    leader = caller("leader", tenant_id="t1")
    with session.begin():
        loyalty.adjust_points(session, leader, "m1", {"delta": 50, "reason": "welcome"})
    with session.begin():
        loyalty.apply_checkout(
            session,
            member,
            {
                "order_id": "o1",
                "member_id": "m1",
                "subtotal_cents": 2000,
                "coupon_id": coupon.id,
                "points_to_use": 20,
            },
        )
    answers = []
    for _ in range(2):
        with session.begin():
            answers.append(loyalty.release_checkout(session, member, "o1"))
    cancelled = {
        "event_id": "e1",
        "tenant_id": "t1",
        "occurred_at": NOW.isoformat(),
        "data": {"order_id": "o1", "member_id": "m1", "total_cents": 1700},
    }
    with session.begin():
        loyalty.on_order_cancelled(session, cancelled)  # the order's own cancellation, afterwards
    with session.begin():
        released = session.scalar(
            select(func.count()).select_from(PointsEntry).where(PointsEntry.kind == "released")
        )
        seen = (
            answers,
            released,
            loyalty.balance(session, "t1", "m1"),
            session.get(Coupon, coupon.id).status,
        )
    assert seen == ([{"order_id": "o1", "status": "released"}] * 2, 1, 50, "available")
