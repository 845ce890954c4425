"""When referral's copy is a moment behind its owners: a showcase (晒单) of an order referral has
not yet heard is completed asks orders (and, for an order still on fulfilment's way,
fulfilment), and their answer wins; a member who has just joined gets their invite code from
crm's answer. A settled or current copy asks nobody."""

import uuid

import pytest
from conftest import ReferralCrm, ReferralFulfillment, ReferralOrders
from test_referral import T1, T2, Session, World, envelope, inbox  # noqa: F401  (fixtures)

from services.infra.errors import Conflict, NotFound
from services.referral import handlers, rewards, showcases
from services.referral.models import InviteCode, Neighbour, OrderFact, Referral, Showcase


@pytest.fixture
def world(Session, inbox):  # noqa: F811  (the fixtures of test_referral)
    world = World(Session, inbox)
    world.join("m1", name="李秀英")
    world.join("m2", name="王芳")
    return world


@pytest.fixture
def m1(caller):
    return caller("member", tenant_id=T1, member_id="m1")


def orders_answer(order_id, status, member_id="m1"):
    """``orders.get_order`` as the member sees it (the fields referral reads, and some more)."""
    return {
        "id": order_id,
        "member_id": member_id,
        "status": status,
        "total_cents": 3000,
        "channel": {"type": "shop", "id": None},
        "lines": [],
    }


def paid(world, member_id="m1", order_id=None):
    """An order referral has heard was paid, and nothing since."""
    order_id = order_id or uuid.uuid4().hex
    world.deliver(
        rewards.record_order_paid,
        envelope(
            "order_paid",
            {"order_id": order_id, "member_id": member_id, "total_cents": 3000, "lines": []},
        ),
    )
    return order_id


def post(world, who, orders, fulfillment, order_id):
    with world.Session() as session, session.begin():
        return showcases.create_showcase(
            session, who, orders, fulfillment, {"order_id": order_id, "text": "很新鲜"}
        )


def refused(world, who, orders, fulfillment, order_id, error=Conflict):
    with pytest.raises(error) as raised:
        post(world, who, orders, fulfillment, order_id)
    return raised.value


def test_a_copy_that_never_heard_of_the_order_asks_orders_and_orders_wins(world, m1):
    orders, fulfillment = ReferralOrders(orders_answer("o1", "completed")), ReferralFulfillment()
    shown = post(world, m1, orders, fulfillment, "o1")
    assert (shown["order_id"], shown["status"], shown["author"]) == ("o1", "pending", "李秀英")
    assert orders.asked == ["o1"] and fulfillment.asked == []
    with world.Session() as session:
        assert session.get(OrderFact, "o1") is None  # the copy is left to the events


@pytest.mark.parametrize("orders_status", ["paid", "packed", "delivering", "ready_for_pickup"])
def test_an_order_collected_a_moment_ago_is_shown_on_fulfilments_word(world, m1, orders_status):
    """Handed over right after it was moved: orders may not have heard the last steps either."""
    order_id = paid(world)
    orders = ReferralOrders(orders_answer(order_id, orders_status))
    fulfillment = ReferralFulfillment(**{order_id: "picked_up"})
    assert post(world, m1, orders, fulfillment, order_id)["status"] == "pending"
    assert orders.asked == [order_id] and fulfillment.asked == [order_id]


def test_a_completed_copy_asks_nobody(world, m1):
    order_id, _ = world.order("m1")
    orders, fulfillment = ReferralOrders(), ReferralFulfillment()
    assert post(world, m1, orders, fulfillment, order_id)["status"] == "pending"
    assert orders.asked == [] and fulfillment.asked == []


def test_when_the_owners_say_not_completed_the_reason_is_the_same(world, m1):
    order_id = paid(world)
    orders, fulfillment = ReferralOrders(orders_answer(order_id, "paid")), ReferralFulfillment()
    error = refused(world, m1, orders, fulfillment, order_id)
    assert error.extra == {"reason": "order_not_completed", "status_now": "paid"}
    assert fulfillment.asked == [order_id]  # not heard of by fulfilment either: not handed over
    placed = ReferralOrders(orders_answer(order_id, "pending_payment"))
    assert (
        refused(world, m1, placed, fulfillment, order_id).extra["status_now"] == "pending_payment"
    )
    assert fulfillment.asked == [
        order_id
    ]  # an unpaid order is nothing fulfilment could have handed over
    waiting = ReferralOrders(orders_answer(order_id, "ready_for_pickup"))
    fulfillment = ReferralFulfillment(**{order_id: "ready_for_pickup"})
    error = refused(world, m1, waiting, fulfillment, order_id)
    assert error.extra == {"reason": "order_not_completed", "status_now": "ready_for_pickup"}
    assert fulfillment.asked == [order_id]
    with world.Session() as session:
        assert session.query(Showcase).count() == 0


def test_an_order_orders_does_not_know_for_the_member_is_404(world, m1):
    orders = ReferralOrders(orders_answer("o-other", "completed", member_id="m2"))
    error = refused(world, m1, ReferralOrders(), ReferralFulfillment(), "nope", NotFound)
    assert error.extra == {"order_id": "nope"}
    # A copy that knows the order is someone else's, or another community's, asks nobody.
    other = paid(world, member_id="m2")
    refused(world, m1, orders, ReferralFulfillment(), other, NotFound)
    elsewhere, _ = world.order("m1", tenant_id=T2)
    refused(world, m1, orders, ReferralFulfillment(), elsewhere, NotFound)
    assert orders.asked == []


def test_a_settled_copy_refuses_without_asking(world, m1):
    order_id = uuid.uuid4().hex
    world.deliver(
        rewards.record_order_cancelled,
        envelope(
            "order_cancelled",
            {"order_id": order_id, "member_id": "m1", "total_cents": 3000, "lines": []},
        ),
    )
    orders = ReferralOrders(orders_answer(order_id, "completed"))
    error = refused(world, m1, orders, ReferralFulfillment(), order_id)
    assert (
        error.extra == {"reason": "order_not_completed", "status_now": "cancelled"}
        and orders.asked == []
    )


def test_the_completion_heard_later_still_decides_the_referral(world, m1, caller):
    """Showing an order on the owners' word writes nothing referral's rewards depend on."""
    code = world.join("m3", name="赵阿姨", building="9栋")
    world.join("m4", name="钱先生", building="1栋", code=code)
    order_id = paid(world, member_id="m4")
    orders = ReferralOrders(orders_answer(order_id, "completed", member_id="m4"))
    post(
        world,
        caller("member", tenant_id=T1, member_id="m4"),
        orders,
        ReferralFulfillment(),
        order_id,
    )
    world.deliver(
        rewards.record_order_completed,
        envelope(
            "order_completed",
            {"order_id": order_id, "member_id": "m4", "total_cents": 3000, "lines": []},
        ),
    )
    assert world.referral("m4").status == "rewarded"


# --- the invite code of a member who has just joined -----------------------------------------


def crm_me(member_id="m9", name="孙阿姨", slug="xiaoya"):
    """``crm.get_me`` as the member sees it (the fields referral reads, and some more)."""
    return {
        "role": "member",
        "account": {"id": "a9", "display_name": name, "phone": "13900000009"},
        "community": {"id": T1, "slug": slug, "name": "小雅的厨房", "timezone": "Asia/Shanghai"},
        "member": {
            "id": member_id,
            "name": name,
            "building": "7栋",
            "unit": "302",
            "status": "active",
            "tags": [],
            "points": 0,
        },
    }


def mine(world, who, crm):
    with world.Session() as session, session.begin():
        return handlers.get_my_referral(session, who, crm, "http://x/")


def test_a_member_referral_has_not_heard_of_gets_a_code_from_crms_answer(world, caller):
    m9 = caller("member", tenant_id=T1, member_id="m9")
    crm = ReferralCrm(crm_me())
    first = mine(world, m9, crm)
    assert (
        first["invite_url"] == f"http://x/c/xiaoya/join?invite={first['invite_code']}"
        and crm.asked == 1
    )
    with world.Session() as session:
        neighbour = session.get(Neighbour, "m9")
        assert (neighbour.tenant_id, neighbour.name, neighbour.building, neighbour.unit) == (
            T1,
            "孙阿姨",
            "7栋",
            "302",
        )
    assert mine(world, m9, crm) == first and crm.asked == 1  # current now: crm is not asked again
    # crm's member_joined, heard at last, keeps the code and records who invited the member.
    with world.Session() as session:
        inviter_code = session.get(InviteCode, "m1").code
    world.deliver(
        handlers.record_member_joined,
        envelope(
            "member_joined",
            {
                "member_id": "m9",
                "community_slug": "xiaoya",
                "status": "active",
                "name": "孙阿姨",
                "building": "7栋",
                "unit": "302",
                "invite_code": inviter_code,
            },
        ),
    )
    assert mine(world, m9, crm)["invite_code"] == first["invite_code"]
    assert world.referral("m9").referrer_member_id == "m1"


def test_a_member_referral_knows_asks_crm_nothing(world, caller):
    crm = ReferralCrm(crm_me(member_id="m1"))
    assert mine(world, caller("member", tenant_id=T1, member_id="m1"), crm)["invited"] == 0
    assert crm.asked == 0


@pytest.mark.parametrize(
    "answer", [None, crm_me(member_id="someone-else")], ids=["no-member", "another-member"]
)
def test_when_crm_knows_no_such_member_the_code_is_still_being_prepared(world, caller, answer):
    crm = ReferralCrm(answer)
    with pytest.raises(NotFound) as refused:
        mine(world, caller("member", tenant_id=T1, member_id="m9"), crm)
    assert "being prepared" in refused.value.detail and crm.asked == 1
    with world.Session() as session:
        assert session.get(InviteCode, "m9") is None and session.query(Referral).count() == 0
