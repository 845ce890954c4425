"""crm's side of after-sale compensation: a coupon or points once per compensation."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from services.crm import loyalty
from services.crm.loyalty import compensations
from services.crm.models import Base, Community, Coupon, PointsEntry
from services.infra.db import utcnow
from services.infra.messaging import ENVELOPE


@pytest.fixture
def session(make_session):
    session = make_session(Base, "crm")
    with session.begin():
        session.add(Community(id="t1", slug="t1-slug", name="团", leader_display_name="团长"))
    return session


def granted(compensation_id, kind, amount, member_id="m1"):
    return ENVELOPE.load(
        {
            "event_id": uuid.uuid4().hex,
            "event_type": "compensation_granted",
            "version": 1,
            "occurred_at": utcnow().isoformat(),
            "tenant_id": "t1",
            "data": {
                "compensation_id": compensation_id,
                "order_id": "o1",
                "member_id": member_id,
                "type": kind,
                "amount": amount,
                "reason": "草莓压坏",
                "case_id": None,
            },
        }
    )


def handle(session, envelope):
    with session.begin():
        compensations.on_compensation_granted(session, envelope)


def test_a_coupon_compensation_is_issued_once(session):
    handle(session, granted("c1", "coupon", 500))
    handle(session, granted("c1", "coupon", 500))  # redelivered under another event id
    with session.begin():
        (coupon,) = session.scalars(select(Coupon)).all()
        assert (
            coupon.member_id,
            coupon.kind,
            coupon.amount_cents,
            coupon.min_spend_cents,
            coupon.status,
        ) == ("m1", "fixed", 500, 0, "available")
        assert coupon.source == "compensation" and coupon.source_key == "compensation:c1"
        assert coupon.valid_until - coupon.valid_from == timedelta(days=30)


def test_points_are_awarded_once_with_the_reason(session):
    handle(session, granted("c2", "points", 300))
    handle(session, granted("c2", "points", 300))
    with session.begin():
        (entry,) = session.scalars(select(PointsEntry)).all()
        assert (entry.delta, entry.entry_key, entry.order_id) == (300, "compensation:c2", "o1")
        assert "草莓压坏" in entry.reason
        assert loyalty.balance(session, "t1", "m1") == 300


def test_a_refund_compensation_is_orders_business(session):
    handle(session, granted("c3", "refund", 1000))
    with session.begin():
        assert (
            session.scalars(select(Coupon)).all() == []
            and session.scalars(select(PointsEntry)).all() == []
        )
