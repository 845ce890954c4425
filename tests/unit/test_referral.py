"""Referral: invite codes, fair first-order rewards (exactly once), revocation, the leaderboard,
showcases, the program's rules and share posters."""

import io
import types
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from conftest import ReferralCrm, ReferralFulfillment, ReferralOrders
from PIL import Image
from sqlalchemy import select

from services.infra.db import Database, utcnow
from services.infra.errors import Conflict, Forbidden, Invalid, NotFound
from services.infra.messaging import EventInbox, OutboxMessage
from services.referral import handlers, leaderboard, posters, program, rewards, showcases
from services.referral.models import Base, InviteCode, Referral

T1, T2 = "t1", "t2"


@pytest.fixture
def Session(session_factory):
    return session_factory(Base, "referral")


@pytest.fixture
def inbox(Session):
    database = Database()
    database.Session = Session
    inbox = EventInbox()
    inbox.container = types.SimpleNamespace(
        service_name="referral", dependencies={database}, config={}
    )
    return inbox


def envelope(event_type, data, tenant_id=T1, at=None):
    return {
        "event_id": uuid.uuid4().hex,
        "event_type": event_type,
        "version": 1,
        "occurred_at": (at or utcnow()).isoformat(),
        "tenant_id": tenant_id,
        "correlation_id": None,
        "data": data,
    }


class World:
    """A community (or two) fed through referral's real consumers and inbox."""

    def __init__(self, Session, inbox):
        self.Session, self.inbox = Session, inbox
        self.community(T1, "xiaoya", "小雅的厨房")
        self.community(T2, "other", "别的团")

    def deliver(self, handler, event):
        outcome = self.inbox.consume(event, handler)
        assert outcome in ("processed", "duplicate"), outcome
        return outcome

    def community(self, tenant_id, slug, name):
        self.deliver(
            handlers.record_community_created,
            envelope(
                "community_created",
                {"community_id": tenant_id, "slug": slug, "name": name},
                tenant_id,
            ),
        )

    def join(
        self,
        member_id,
        name="李秀英",
        building="3栋",
        unit="501",
        code=None,
        tenant_id=T1,
        slug="xiaoya",
    ):
        data = {
            "member_id": member_id,
            "community_slug": slug,
            "status": "active",
            "name": name,
            "building": building,
            "unit": unit,
            "invite_code": code,
        }
        self.deliver(handlers.record_member_joined, envelope("member_joined", data, tenant_id))
        return self.code_of(member_id)

    def code_of(self, member_id):
        with self.Session() as session:
            return session.get(InviteCode, member_id).code

    def order(self, member_id, total_cents=3000, completed_at=None, tenant_id=T1, order_id=None):
        """An order placed, paid and completed; returns its id and the completion envelope."""
        order_id = order_id or uuid.uuid4().hex
        data = {
            "order_id": order_id,
            "member_id": member_id,
            "total_cents": total_cents,
            "lines": [],
            "channel": {"type": "shop", "id": None},
        }
        self.deliver(rewards.record_order_paid, envelope("order_paid", data, tenant_id))
        completed_at = completed_at or utcnow()
        completed = envelope(
            "order_completed",
            {**data, "completed_at": completed_at.isoformat()},
            tenant_id,
            at=completed_at,
        )
        self.deliver(rewards.record_order_completed, completed)
        return order_id, completed

    def refund(
        self,
        order_id,
        member_id,
        amount,
        total_cents=3000,
        at=None,
        whole=None,
        refunded_total=None,
    ):
        refunded_total = refunded_total if refunded_total is not None else amount
        data = {
            "order_id": order_id,
            "member_id": member_id,
            "total_cents": total_cents,
            "lines": [],
            "amount_cents": amount,
            "refunded_total_cents": refunded_total,
            "whole": refunded_total >= total_cents if whole is None else whole,
            "reason": "damaged",
        }
        event = envelope("order_refunded", data, at=at)
        self.deliver(rewards.record_order_refunded, event)
        return event

    def referral(self, invitee_id):
        with self.Session() as session:
            return session.get(Referral, invitee_id)

    def sent(self, event_type):
        with self.Session() as session:
            return [
                row.payload
                for row in session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.event_type == event_type)
                    .order_by(OutboxMessage.id)
                )
            ]

    def set_rules(self, leader, **rules):
        with self.Session() as session, session.begin():
            return program.update_settings(session, leader, rules)


@pytest.fixture
def world(Session, inbox):
    return World(Session, inbox)


@pytest.fixture
def leader(caller):
    return caller("leader", tenant_id=T1)


# --- invitations ----------------------------------------------------------------------------


def test_a_member_who_joins_with_a_code_is_recorded_as_invited_by_its_owner(world, caller):
    code = world.join("m1")
    assert len(code) == 8 and not set(code) & set("01OIL")
    world.join("m2", name="王芳", building="5栋", unit="101", code=code.lower())
    referral = world.referral("m2")
    assert (referral.referrer_member_id, referral.status) == ("m1", "joined")
    with world.Session() as session:
        mine = handlers.get_my_referral(
            session, caller("member", tenant_id=T1, member_id="m1"), ReferralCrm(), "http://x/"
        )
    assert mine == {
        "invite_code": code,
        "invite_url": f"http://x/c/xiaoya/join?invite={code}",
        "invited": 1,
        "rewarded": 0,
    }


def test_codes_of_another_community_or_unknown_ones_are_refused_at_join(world):
    code = world.join("m1")
    with world.Session() as session:
        assert handlers.check_invite_code(session, "xiaoya", code.lower()) == {"valid": True}
        for slug, bad in (
            ("other", code),
            ("xiaoya", "ZZZZ9999"),
            ("xiaoya", None),
            ("xiaoya", "x" * 40),
        ):
            with pytest.raises(Invalid) as refused:
                handlers.check_invite_code(session, slug, bad)
            assert "invite_code" in refused.value.extra["errors"]
    # And if such a join slipped through anyway, no referral would be recorded.
    world.join("x1", code=code, tenant_id=T2, slug="other")
    assert world.referral("x1") is None


# --- rewards: exactly once, and fair ---------------------------------------------------------


def test_the_invitees_first_completed_order_rewards_both_sides_exactly_once(world):
    world.join("m2", name="王芳", building="5栋", unit="101", code=world.join("m1"))
    order_id, completed = world.order("m2", total_cents=3000)
    world.deliver(rewards.record_order_completed, completed)  # the broker delivers it again
    world.order("m2", total_cents=9000)  # a second order rewards nothing more

    referral = world.referral("m2")
    assert (referral.status, referral.reason, referral.first_order_id) == (
        "rewarded",
        None,
        order_id,
    )
    sent = world.sent("referral_rewarded")
    assert [event["data"] for event in sent] == [
        {
            "referral_id": "m2",
            "referrer_id": "m1",
            "invitee_id": "m2",
            "referrer_reward_cents": 2000,
            "invitee_reward_cents": 2000,
            "order_id": order_id,
        }
    ]
    assert sent[0]["tenant_id"] == T1


def test_a_cancelled_or_wholly_refunded_order_is_not_the_first_order_that_counts(world):
    world.join("m2", building="5栋", code=world.join("m1"))
    data = {"order_id": "o-cancelled", "member_id": "m2", "total_cents": 5000, "lines": []}
    world.deliver(rewards.record_order_cancelled, envelope("order_cancelled", data))
    world.deliver(rewards.record_order_completed, envelope("order_completed", data))  # cannot count
    world.refund("o-refunded", "m2", 3000)  # refunded before completing: it never counts
    world.deliver(
        rewards.record_order_completed,
        envelope("order_completed", {**data, "order_id": "o-refunded", "total_cents": 3000}),
    )
    assert world.referral("m2").status == "joined"
    order_id, _ = world.order("m2")
    assert (world.referral("m2").status, world.referral("m2").first_order_id) == (
        "rewarded",
        order_id,
    )


@pytest.mark.parametrize(
    "invitee", [{"building": "3栋", "unit": "501"}, {"building": " 3栋", "unit": "501 "}]
)
def test_one_household_earns_nothing(world, invitee):
    world.join("m2", code=world.join("m1"), **invitee)
    world.order("m2")
    referral = world.referral("m2")
    assert (referral.status, referral.reason) == ("refused", "same_household")
    assert world.sent("referral_rewarded") == []


def test_the_leader_may_allow_rewards_within_one_household(world, leader):
    world.set_rules(leader, allow_same_household=True)
    world.join("m2", code=world.join("m1"))  # same building and unit
    world.order("m2")
    assert world.referral("m2").status == "rewarded"


def test_self_invitation_is_refused(world):
    world.join("m1")
    with (
        world.Session() as session,
        session.begin(),
    ):  # cannot be made through join; rule still holds
        session.add(
            Referral(
                invitee_member_id="m1",
                tenant_id=T1,
                referrer_member_id="m1",
                code="X",
                status="joined",
            )
        )
    world.order("m1")
    assert (world.referral("m1").status, world.referral("m1").reason) == ("refused", "self_invite")


def test_a_first_order_below_the_minimum_is_refused_for_good(world, leader):
    world.set_rules(leader, min_first_order_cents=5000)
    world.join("m2", building="5栋", code=world.join("m1"))
    world.order("m2", total_cents=4999)
    world.order("m2", total_cents=8000)  # only the first completed order decides
    referral = world.referral("m2")
    assert (referral.status, referral.reason, referral.first_order_cents) == (
        "refused",
        "below_minimum",
        4999,
    )


def test_a_partial_refund_before_completion_counts_against_the_minimum(world, leader):
    world.set_rules(leader, min_first_order_cents=5000)
    world.join("m2", building="5栋", code=world.join("m1"))
    world.refund("o1", "m2", 2000, total_cents=6000)
    world.order("m2", total_cents=6000, order_id="o1")
    assert (world.referral("m2").status, world.referral("m2").first_order_cents) == (
        "refused",
        4000,
    )


def test_the_weekly_cap_counts_rewarded_invitations_per_inviter_in_the_calendar_week(world, leader):
    world.set_rules(leader, weekly_cap=2)
    code = world.join("m1")
    monday = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai
    for index in range(4):
        world.join(f"n{index}", building=f"{index + 10}栋", code=code)
    world.order("n0", completed_at=monday)
    world.order("n1", completed_at=monday + timedelta(days=2))
    world.order("n2", completed_at=monday + timedelta(days=6, hours=14))  # Sunday 23:00 in Shanghai
    world.order("n3", completed_at=monday + timedelta(days=6, hours=16))  # next Monday 00:00 there
    assert [(world.referral(f"n{i}").status, world.referral(f"n{i}").reason) for i in range(4)] == [
        ("rewarded", None),
        ("rewarded", None),
        ("refused", "weekly_cap"),
        ("rewarded", None),
    ]


def test_rewards_use_the_rules_of_the_moment_of_decision(world, leader):
    world.set_rules(leader, referrer_reward_cents=3000, invitee_reward_cents=1500)
    world.join("m2", building="5栋", code=world.join("m1"))
    world.order("m2")
    data = world.sent("referral_rewarded")[0]["data"]
    assert (data["referrer_reward_cents"], data["invitee_reward_cents"]) == (3000, 1500)


# --- revocation within the after-sale window -------------------------------------------------


@pytest.fixture
def rewarded(world):
    world.join("m2", building="5栋", code=world.join("m1"))
    completed_at = utcnow() - timedelta(days=3)
    order_id, _ = world.order("m2", total_cents=3000, completed_at=completed_at)
    return order_id, completed_at


def test_a_whole_refund_within_seven_days_revokes_the_reward_once(world, rewarded):
    order_id, _ = rewarded
    event = world.refund(order_id, "m2", 3000)
    world.deliver(rewards.record_order_refunded, event)  # delivered twice
    world.refund(
        order_id, "m2", 0, refunded_total=3000
    )  # and a later refund event of the same order
    referral = world.referral("m2")
    assert (referral.status, referral.reason) == ("revoked", "first_order_refunded")
    assert [e["data"] for e in world.sent("referral_reward_revoked")] == [
        {
            "referral_id": "m2",
            "referrer_id": "m1",
            "invitee_id": "m2",
            "order_id": order_id,
            "reason": "first_order_refunded",
            "referrer_reward_cents": 2000,
            "invitee_reward_cents": 2000,
        }
    ]


def test_a_refund_after_the_window_keeps_the_reward(world, rewarded):
    order_id, completed_at = rewarded
    world.refund(
        order_id, "m2", 3000, at=completed_at + rewards.AFTER_SALE_WINDOW + timedelta(minutes=1)
    )
    assert world.referral("m2").status == "rewarded"
    assert world.sent("referral_reward_revoked") == []


def test_a_partial_refund_revokes_only_when_the_order_falls_below_the_minimum(
    world, leader, rewarded
):
    order_id, _ = rewarded
    world.refund(order_id, "m2", 1000)
    assert world.referral("m2").status == "rewarded"
    world.set_rules(leader, min_first_order_cents=1500)
    world.refund(order_id, "m2", 600, refunded_total=1600)
    assert world.referral("m2").status == "revoked"
    assert len(world.sent("referral_reward_revoked")) == 1


# --- leaderboard -----------------------------------------------------------------------------


def test_the_leaderboard_ranks_rewarded_invitations_of_the_week_or_month_with_masked_names(
    world, caller
):
    for member_id, name in (("a", "李秀英"), ("b", "王芳"), ("c", "张伟"), ("d", "赵六")):
        world.join(member_id, name=name)
    now = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)  # Wednesday noon in Shanghai
    monday_early = datetime(2026, 11, 22, 16, 30, tzinfo=UTC)  # Monday 00:30 in Shanghai
    rows = [
        ("a", now - timedelta(hours=1), "rewarded"),
        ("a", monday_early, "rewarded"),
        ("b", now - timedelta(days=1), "rewarded"),
        ("b", datetime(2026, 11, 3, tzinfo=UTC), "rewarded"),
        ("c", datetime(2026, 10, 30, tzinfo=UTC), "rewarded"),  # last month
        ("d", now - timedelta(hours=2), "revoked"),  # revoked rewards do not count
        ("d", datetime(2026, 11, 22, 15, 0, tzinfo=UTC), "rewarded"),
    ]  # Sunday 23:00 in Shanghai
    with world.Session() as session, session.begin():
        for index, (referrer, at, status) in enumerate(rows):
            session.add(
                Referral(
                    invitee_member_id=f"i{index}",
                    tenant_id=T1,
                    referrer_member_id=referrer,
                    code="C",
                    status=status,
                    rewarded_at=at,
                )
            )
        session.add(
            Referral(
                invitee_member_id="other",
                tenant_id=T2,
                referrer_member_id="z",
                code="C",
                status="rewarded",
                rewarded_at=now,
            )
        )
    b = caller("member", tenant_id=T1, member_id="b")
    with world.Session() as session:
        week = leaderboard.leaderboard(session, b, {"period": "week"}, now=now)
        month = leaderboard.leaderboard(
            session, caller("staff", tenant_id=T1), {"period": "month"}, now=now
        )
        default = leaderboard.leaderboard(session, b, {}, now=now)
        with pytest.raises(Invalid):
            leaderboard.leaderboard(session, b, {"period": "year"}, now=now)
    assert week["since"] == "2026-11-22T16:00:00+00:00"
    assert week["items"] == [
        {"rank": 1, "name": "李**", "count": 2, "me": False},
        {"rank": 2, "name": "王**", "count": 1, "me": True},
    ]
    assert default == week
    assert month["since"] == "2026-10-31T16:00:00+00:00"
    assert [(e["rank"], e["name"], e["count"]) for e in month["items"]] == [
        (1, "王**", 2),
        (1, "李**", 2),
        (3, "赵**", 1),
    ]


# --- showcases (晒单) -------------------------------------------------------------------------


@pytest.fixture
def shop(world):
    world.join("m1", name="李秀英")
    world.join("m2", name="王芳", building="5栋")
    completed, _ = world.order("m1")
    data = {"order_id": "o-paid", "member_id": "m1", "total_cents": 100, "lines": []}
    world.deliver(rewards.record_order_paid, envelope("order_paid", data))
    return completed


def post(world, who, payload):
    with world.Session() as session, session.begin():
        return showcases.create_showcase(
            session, who, ReferralOrders(), ReferralFulfillment(), payload
        )


def test_a_member_shows_their_own_completed_order_once(world, shop, caller):
    m1, m2 = (
        caller("member", tenant_id=T1, member_id="m1"),
        caller("member", tenant_id=T1, member_id="m2"),
    )
    shown = post(
        world,
        m1,
        {"order_id": shop, "text": " 桃子很甜 ", "image_url": "https://img.example/p.jpg"},
    )
    assert (shown["status"], shown["text"], shown["mine"], shown["author"]) == (
        "pending",
        "桃子很甜",
        True,
        "李秀英",
    )
    with pytest.raises(Conflict) as again:
        post(world, m1, {"order_id": shop, "text": "再来一次"})
    assert again.value.extra["reason"] == "showcase_exists"
    with pytest.raises(NotFound):
        post(world, m2, {"order_id": shop, "text": "别人的订单"})
    with pytest.raises(NotFound):
        post(
            world,
            caller("member", tenant_id=T2, member_id="m1"),
            {"order_id": shop, "text": "另一个团"},
        )
    with pytest.raises(Conflict) as not_completed:
        post(world, m1, {"order_id": "o-paid", "text": "还没取货"})
    assert not_completed.value.extra["reason"] == "order_not_completed"
    for bad in (
        {"order_id": shop, "text": ""},
        {"order_id": shop, "text": "   "},
        {"order_id": shop, "text": "x" * 501},
        {"order_id": shop, "text": "ok", "image_url": "ftp://x/y"},
        {"order_id": shop, "text": "ok", "image_url": "javascript:alert(1)"},
        {"order_id": shop},
    ):
        with pytest.raises(Invalid):
            post(world, m1, bad)


def test_approval_publishes_the_showcase_and_awards_points_once(world, shop, caller, leader):
    m1, m2 = (
        caller("member", tenant_id=T1, member_id="m1"),
        caller("member", tenant_id=T1, member_id="m2"),
    )
    staff = caller("staff", tenant_id=T1)
    world.set_rules(leader, showcase_points=80)
    shown = post(world, m1, {"order_id": shop, "text": "桃子很甜"})

    def listing(who, **query):
        with world.Session() as session:
            return showcases.list_showcases(session, who, query)["items"]

    assert listing(m2) == [] and [s["id"] for s in listing(m1)] == [shown["id"]]
    assert [s["status"] for s in listing(staff, status="pending")] == ["pending"]
    with world.Session() as session, session.begin(), pytest.raises(Forbidden):
        showcases.approve_showcase(session, staff, shown["id"])
    with world.Session() as session, session.begin(), pytest.raises(NotFound):
        showcases.approve_showcase(session, caller("leader", tenant_id=T2), shown["id"])
    for _ in range(2):
        with world.Session() as session, session.begin():
            approved = showcases.approve_showcase(session, leader, shown["id"])
    assert (approved["status"], approved["points"]) == ("approved", 80)
    assert [e["data"] for e in world.sent("showcase_approved")] == [
        {"showcase_id": shown["id"], "member_id": "m1", "order_id": shop, "points": 80}
    ]
    seen_by_neighbour = listing(m2)
    assert [(s["author"], s["order_id"], s["member_id"], s["mine"]) for s in seen_by_neighbour] == [
        ("李**", None, None, False)
    ]
    with world.Session() as session, session.begin(), pytest.raises(Conflict):
        showcases.reject_showcase(session, leader, shown["id"])


def test_a_rejected_showcase_stays_with_its_author(world, shop, caller, leader):
    m1, m2 = (
        caller("member", tenant_id=T1, member_id="m1"),
        caller("member", tenant_id=T1, member_id="m2"),
    )
    shown = post(world, m1, {"order_id": shop, "text": "一般般"})
    with world.Session() as session, session.begin():
        assert showcases.reject_showcase(session, leader, shown["id"])["status"] == "rejected"
    with world.Session() as session, session.begin(), pytest.raises(Conflict):
        showcases.approve_showcase(session, leader, shown["id"])
    with world.Session() as session:
        assert showcases.list_showcases(session, m2, {})["items"] == []
        assert [s["status"] for s in showcases.list_showcases(session, m1, {})["items"]] == [
            "rejected"
        ]
    assert world.sent("showcase_approved") == []


# --- the program's rules ---------------------------------------------------------------------


def test_program_rules_have_defaults_and_change_partially_by_the_leader_only(world, leader, caller):
    with world.Session() as session:
        assert program.get_settings(session, caller("staff", tenant_id=T1)) == program.DEFAULTS
        with pytest.raises(Forbidden):
            program.get_settings(session, caller("member", tenant_id=T1))
    changed = world.set_rules(leader, weekly_cap=3, min_first_order_cents=1000)
    assert changed == {**program.DEFAULTS, "weekly_cap": 3, "min_first_order_cents": 1000}
    for bad in (
        {"weekly_cap": 0},
        {"referrer_reward_cents": -1},
        {"allow_same_household": 1},
        {"showcase_points": "5"},
        {"bogus": 1},
        {"weekly_cap": 5, "invitee_reward_cents": 10**7},
    ):
        with pytest.raises(Invalid):
            world.set_rules(leader, **bad)
    for who in (caller("staff", tenant_id=T1), caller("member", tenant_id=T1)):
        with pytest.raises(Forbidden):
            world.set_rules(who, weekly_cap=9)
    with world.Session() as session:
        assert program.for_tenant(session, T1) == changed
        assert program.for_tenant(session, T2) == program.DEFAULTS


# --- share posters ---------------------------------------------------------------------------


def qr_in(png, url):
    """The poster's QR area read back module by module, against the QR code of ``url``."""
    image = Image.open(io.BytesIO(png)).convert("L")
    left, top, side = posters.qr_box(url)
    matrix = posters.qr_matrix(url)
    scale = side // len(matrix)
    read = [
        [
            image.getpixel((left + x * scale + scale // 2, top + y * scale + scale // 2)) < 128
            for x in range(len(matrix))
        ]
        for y in range(len(matrix))
    ]
    return read == [list(row) for row in matrix]


def decode_if_possible(png):
    try:
        from pyzbar.pyzbar import decode  # optional: not a dependency
    except ImportError:
        return None
    return [symbol.data.decode() for symbol in decode(Image.open(io.BytesIO(png)))]


def check_png(png):
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (posters.WIDTH, posters.HEIGHT)
    assert 5_000 < len(png) < 1_000_000
    image.verify()


def test_the_invite_poster_is_a_png_whose_qr_carries_the_invite_link(world, caller):
    code = world.join("m1", name="李秀英")
    m1 = caller("member", tenant_id=T1, member_id="m1")
    with world.Session() as session:
        facts = handlers.invite_poster_facts(
            session, m1, ReferralCrm(), "http://127.0.0.1:8000", 2000
        )
    assert facts["community_name"] == "小雅的厨房" and facts["nickname"] == "李秀英"
    assert facts["invite_url"] == f"http://127.0.0.1:8000/c/xiaoya/join?invite={code}"
    png = posters.invite_poster(**facts)
    check_png(png)
    assert qr_in(png, facts["invite_url"])
    assert not qr_in(png, facts["invite_url"] + "X")
    assert decode_if_possible(png) in (None, [facts["invite_url"]])


def test_the_product_poster_links_the_product_with_the_sharers_code(world, caller):
    code = world.join("m1", name="李秀英")
    m1 = caller("member", tenant_id=T1, member_id="m1")
    product = {
        "id": "p1",
        "name": "有机鲜牛奶 950ml",
        "price_cents": 1290,
        "unit": "瓶",
        "story": "\n北纬40度的牧场,清晨挤奶当天装瓶。\n第二行不上海报",
        "image_url": "http://169.254.169.254/x",
    }
    with world.Session() as session:
        facts = handlers.product_poster_facts(
            session, m1, ReferralCrm(), "http://127.0.0.1:8000/", product
        )
    assert facts["product_url"] == f"http://127.0.0.1:8000/c/xiaoya/products/p1?invite={code}"
    png = posters.product_poster(**facts)
    check_png(png)
    assert qr_in(png, facts["product_url"])
    with world.Session() as session, pytest.raises(NotFound):
        handlers.product_poster_facts(
            session,
            caller("member", tenant_id=T1, member_id="nobody"),
            ReferralCrm(),
            "http://x",
            product,
        )


def test_without_a_cjk_font_posters_fail_with_a_clear_error(monkeypatch):
    monkeypatch.setattr(posters, "REGULAR_FONTS", ("/nonexistent/a.ttc",))
    monkeypatch.setattr(posters, "BOLD_FONTS", ())
    monkeypatch.delenv("LINLI_POSTER_FONT", raising=False)
    posters.font_file.cache_clear()
    posters.font.cache_clear()
    try:
        with pytest.raises(posters.PosterFontMissing, match="fonts-noto-cjk"):
            posters.invite_poster("团", "李", "http://x", "ABCD2345")
    finally:
        posters.font_file.cache_clear()
        posters.font.cache_clear()


@pytest.mark.parametrize("text", ["\r鸡蛋", "\x1c", "鸡\u2029蛋", "\x85", "a\nb"])
def test_a_poster_draws_names_holding_line_breaks_and_control_characters(text):
    # Pillow's layout engine refuses these inside one line (raqm_layout() failed: a 500).
    product = {"name": text, "price_cents": 1290, "unit": text, "story": text}
    check_png(posters.product_poster(text, product, "http://127.0.0.1:8000/p", text))
    check_png(posters.invite_poster(text, text, "http://127.0.0.1:8000/j", "ABC123"))
    assert posters.one_line(text).isprintable()
