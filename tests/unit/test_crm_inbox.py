"""The member's inbox: a pickup notice once per order, rendered in the reader's language."""

import uuid

import pytest

from services.crm import handlers
from services.crm.models import Base, Community
from services.crm.notifications import inbox as crm_inbox
from services.infra.errors import Forbidden, Invalid


def ready(order_id, member_id="m1", tenant_id="t1", code="123456"):
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": "order_ready_for_pickup",
        "version": 1,
        "occurred_at": "2026-11-24T10:00:00+00:00",
        "tenant_id": tenant_id,
        "correlation_id": None,
        "data": {
            "order_id": order_id,
            "member_id": member_id,
            "at": "2026-11-24T10:00:00+00:00",
            "pickup": {"code": code, "point": "3栋楼下", "at": "2026-11-26T10:00:00+00:00"},
        },
    }


@pytest.fixture
def session(make_session):
    session = make_session(Base, "crm")
    with session.begin():
        session.add(Community(id="t1", slug="t1-slug", name="团", leader_display_name="团长"))
    return session


def test_one_pickup_notice_per_order_in_the_community_timezone(session, caller):
    with session.begin():
        handlers.notify_pickup_ready(session, ready("o1"))
        handlers.notify_pickup_ready(
            session, ready("o1")
        )  # the same notice again (another event id)
        handlers.notify_pickup_ready(session, ready("o2", member_id="m2"))
    member = caller("member", tenant_id="t1", member_id="m1")
    with session.begin():
        inbox = crm_inbox.list_inbox(session, member, {})
    assert inbox["next_cursor"] is None
    [notice] = inbox["items"]
    assert notice["order_id"] == "o1" and notice["title"] == "您的订单到货啦"
    assert "取货码 123456" in notice["body"] and "11月26日 18:00" in notice["body"]  # Asia/Shanghai
    with session.begin():
        english = crm_inbox.list_inbox(session, member, {}, "en")["items"][0]
    assert english["body"] == "Pickup code 123456: collect it at 3栋楼下 from 26/11 18:00."


def test_the_inbox_is_the_members_own(session, caller):
    with session.begin():
        handlers.notify_pickup_ready(session, ready("o1"))
    with pytest.raises(Forbidden), session.begin():
        crm_inbox.list_inbox(session, caller("leader", tenant_id="t1"), {})
    with session.begin():
        assert (
            crm_inbox.list_inbox(session, caller("member", tenant_id="t2", member_id="m1"), {})[
                "items"
            ]
            == []
        )
    with pytest.raises(Invalid), session.begin():
        crm_inbox.list_inbox(
            session, caller("member", tenant_id="t1", member_id="m1"), {"limit": 1000}
        )
    with pytest.raises(Invalid), session.begin():
        handlers.notify_pickup_ready(session, {**ready("o3"), "data": {"order_id": "o3"}})
