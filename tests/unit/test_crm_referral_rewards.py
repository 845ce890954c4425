"""crm's side of referral rewards: coupons for both sides once, revoked if unused, showcase
points."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from services.crm import loyalty
from services.crm.loyalty import referral_rewards
from services.crm.models import Base, Community, Coupon, PointsEntry
from services.infra.db import utcnow
from services.infra.messaging import ENVELOPE


@pytest.fixture
def session(make_session):
    session = make_session(Base, "crm")
    with session.begin():
        session.add(Community(id="t1", slug="t1-slug", name="团", leader_display_name="团长"))
    return session


def event(event_type, data, tenant_id="t1"):
    return ENVELOPE.load(
        {
            "event_id": uuid.uuid4().hex,
            "event_type": event_type,
            "version": 1,
            "occurred_at": utcnow().isoformat(),
            "tenant_id": tenant_id,
            "data": data,
        }
    )


REWARD = {
    "referral_id": "r1",
    "referrer_id": "m1",
    "invitee_id": "m2",
    "referrer_reward_cents": 2000,
    "invitee_reward_cents": 1500,
    "order_id": "o1",
}


def handle(session, handler, envelope):
    with session.begin():
        handler(session, envelope)


def coupons(session):
    with session.begin():
        return {
            c.member_id: (
                c.amount_cents,
                c.status,
                c.source,
                c.min_spend_cents,
                c.valid_until - c.valid_from,
            )
            for c in session.scalars(select(Coupon).order_by(Coupon.member_id))
        }


def test_a_reward_puts_one_coupon_in_each_wallet_once(session):
    rewarded = event("referral_rewarded", REWARD)
    handle(session, referral_rewards.on_referral_rewarded, rewarded)
    handle(
        session, referral_rewards.on_referral_rewarded, event("referral_rewarded", REWARD)
    )  # again
    assert coupons(session) == {
        "m1": (2000, "available", "referral", 0, timedelta(days=30)),
        "m2": (1500, "available", "referral", 0, timedelta(days=30)),
    }


def test_a_side_with_no_reward_gets_no_coupon(session):
    handle(
        session,
        referral_rewards.on_referral_rewarded,
        event("referral_rewarded", {**REWARD, "invitee_reward_cents": 0}),
    )
    assert set(coupons(session)) == {"m1"}


def test_revocation_takes_back_unused_coupons_only(session):
    handle(session, referral_rewards.on_referral_rewarded, event("referral_rewarded", REWARD))
    with session.begin():  # the invitee already used theirs
        used = session.scalars(select(Coupon).where(Coupon.member_id == "m2")).one()
        used.status, used.redeemed_at = "redeemed", utcnow()
    for _ in range(2):
        handle(
            session,
            referral_rewards.on_referral_reward_revoked,
            event("referral_reward_revoked", REWARD),
        )
    assert {member: row[1] for member, row in coupons(session).items()} == {
        "m1": "revoked",
        "m2": "redeemed",
    }


def test_a_revocation_that_overtakes_its_reward_leaves_nothing_to_spend(session):
    handle(
        session,
        referral_rewards.on_referral_reward_revoked,
        event("referral_reward_revoked", REWARD),
    )
    handle(session, referral_rewards.on_referral_rewarded, event("referral_rewarded", REWARD))
    assert {member: row[1] for member, row in coupons(session).items()} == {
        "m1": "revoked",
        "m2": "revoked",
    }


def test_an_approved_showcase_earns_its_points_once_per_order(session):
    approved = {"showcase_id": "s1", "member_id": "m1", "order_id": "o1", "points": 50}
    handle(session, referral_rewards.on_showcase_approved, event("showcase_approved", approved))
    handle(session, referral_rewards.on_showcase_approved, event("showcase_approved", approved))
    handle(
        session,
        referral_rewards.on_showcase_approved,
        event(
            "showcase_approved", {**approved, "showcase_id": "s2", "order_id": "o2", "points": 0}
        ),
    )
    with session.begin():
        assert loyalty.balance(session, "t1", "m1") == 50
        entries = session.scalars(select(PointsEntry)).all()
    assert [(e.kind, e.delta, e.order_id) for e in entries] == [("awarded", 50, "o1")]
