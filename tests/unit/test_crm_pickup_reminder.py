"""The pickup reminder (取货提醒): one inbox message per overdue order, in the reader's language."""

import uuid

import pytest
from test_crm_inbox import ready

from services.crm import handlers
from services.crm.models import Base, Community
from services.crm.notifications import inbox as crm_inbox
from services.infra.errors import Invalid


def overdue(order_id, member_id="m1", tenant_id="t1", items=None):
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": "order_pickup_overdue",
        "version": 1,
        "occurred_at": "2026-11-25T10:00:00+00:00",
        "tenant_id": tenant_id,
        "correlation_id": None,
        "data": {
            "order_id": order_id,
            "member_id": member_id,
            "pickup_code": "654321",
            "pickup_point": "3栋楼下快递柜旁",
            "ready_at": "2026-11-24T10:00:00+00:00",
            "items": [{"name": "水蜜桃", "quantity": 2}, {"name": "牛奶", "quantity": 1}]
            if items is None
            else items,
        },
    }


@pytest.fixture
def session(make_session):
    session = make_session(Base, "crm")
    with session.begin():
        session.add(Community(id="t1", slug="t1-slug", name="团", leader_display_name="团长"))
    return session


def inbox(session, caller, member_id="m1", locale="zh-CN"):
    with session.begin():
        return crm_inbox.list_inbox(
            session, caller("member", tenant_id="t1", member_id=member_id), {}, locale
        )["items"]


def test_one_reminder_per_order_beside_its_pickup_notice(session, caller):
    with session.begin():
        handlers.notify_pickup_ready(session, ready("o1"))
        handlers.remind_pickup(session, overdue("o1"))
        handlers.remind_pickup(session, overdue("o1"))  # sent again (another event id): still one
        handlers.remind_pickup(session, overdue("o2", member_id="m2", items=[]))
    messages = inbox(session, caller)
    assert sorted(m["kind"] for m in messages) == ["pickup_ready", "pickup_reminder"]
    [reminder] = [m for m in messages if m["kind"] == "pickup_reminder"]
    assert reminder["order_id"] == "o1" and reminder["title"] == "记得来取货哦"
    assert (
        reminder["body"] == "您的水蜜桃×2、牛奶×1已到「3栋楼下快递柜旁」,取货码 654321,记得来取哦。"
    )
    english = [m for m in inbox(session, caller, locale="en") if m["kind"] == "pickup_reminder"][0]
    assert (
        english["body"]
        == "Your 水蜜桃×2, 牛奶×1 is waiting at 3栋楼下快递柜旁. Pickup code 654321."
    )
    [other] = inbox(session, caller, member_id="m2")
    assert other["body"].startswith("您的订单已到")  # no items named: "your order"


def test_a_reminder_without_its_facts_is_refused(session):
    event = overdue("o3")
    del event["data"]["pickup_code"]
    with pytest.raises(Invalid), session.begin():
        handlers.remind_pickup(session, event)
