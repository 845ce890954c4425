"""A community the platform operator suspended: orders hears it from crm (a small local copy)
and refuses its members' orders; it never refuses on what it has not heard (an unknown
community is active), and a change that arrives late never overrides a newer one."""

from datetime import UTC, datetime, timedelta

import pytest
from conftest import TENANT, FakeCatalog, FakeCrm, envelope

from services.infra.errors import Conflict
from services.orders import community_status, handlers
from services.orders.models import Base, CommunityStatus, Order

BODY = {"items": [{"product_id": "apple", "quantity": 1}]}
AT = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def session(make_session):
    return make_session(Base, "orders")


def place(session, member):
    return handlers.place_order(session, FakeCatalog(), FakeCrm(), member, BODY)


def hear(session, consumer, at, tenant_id=TENANT, **data):
    event = envelope(
        "community_status",
        {"community_id": tenant_id, "at": at.isoformat(), **data},
        tenant_id=tenant_id,
    )
    with session.begin():
        consumer(session, event)


def orders(session):
    with session.begin():
        return session.query(Order).count()


def test_an_unknown_community_orders(session, caller):
    assert place(session, caller("member", member_id="m1"))["status"] == "pending_payment"


def test_a_suspended_community_cannot_order_until_resumed(session, caller):
    member = caller("member", member_id="m1")
    hear(session, community_status.record_suspended, AT, reason="未付平台费")
    with pytest.raises(Conflict) as refused:
        place(session, member)
    assert refused.value.extra["reason"] == "community_suspended"
    assert refused.value.extra["suspended_reason"] == "未付平台费"
    assert orders(session) == 0  # nothing was written
    other = caller("member", tenant_id="tenant-b", member_id="m2")
    assert place(session, other)["status"] == "pending_payment"  # only that community
    hear(session, community_status.record_resumed, AT + timedelta(hours=1))
    assert place(session, member)["status"] == "pending_payment"


def test_a_late_event_does_not_undo_a_newer_one(session, caller):
    hear(
        session, community_status.record_resumed, AT + timedelta(hours=1)
    )  # overtook the suspension
    hear(session, community_status.record_suspended, AT, reason="old")
    assert place(session, caller("member", member_id="m1"))["status"] == "pending_payment"
    hear(session, community_status.record_suspended, AT + timedelta(hours=2), reason="again")
    with session.begin():
        row = session.get(CommunityStatus, TENANT)
        assert (row.suspended, row.reason) == (True, "again")


def test_an_event_about_another_community_is_ignored(session, caller):
    event = envelope("community_suspended", {"community_id": "tenant-b", "at": AT.isoformat()})
    with session.begin():
        community_status.record_suspended(session, event)
    assert place(session, caller("member", member_id="m1"))["status"] == "pending_payment"
