"""Admission (准入: modes, buildings, the approval queue), the welcome guide once, profiles and
manual tags (PATCH validation), the leader's member filters and detail, and login rate limits."""

from datetime import UTC, date, datetime, timedelta

import pytest

from services.crm import handlers, loyalty
from services.crm.accounts import identity as crm_identity
from services.crm.accounts import login_limit
from services.crm.community import settings
from services.crm.members import admission, joining, profiles
from services.crm.models import Base, InboxMessage, LoginAttempt, Member
from services.crm.notifications import inbox as crm_inbox
from services.infra.errors import Conflict, Forbidden, Invalid, NotFound, RateLimited, Unauthorized
from services.infra.messaging import OutboxMessage

PASSWORD = "correct horse battery"
_phones = iter(range(13900000100, 13900009999))


@pytest.fixture
def session(make_session):
    return make_session(Base, "crm")


@pytest.fixture
def community(session, anonymous, caller):
    """A community and its leader (a caller), with admission set by ``admit(...)``."""
    with session.begin():
        identity = crm_identity.signup_leader(
            session,
            anonymous,
            {
                "community_name": "阳光花园",
                "slug": "sunny",
                "phone": "13800000001",
                "password": PASSWORD,
                "display_name": "王姐",
            },
        )
    leader = caller("leader", tenant_id=identity["tenant_id"], account_id=identity["account_id"])

    def admit(**changes):
        with session.begin():
            return settings.update_settings(session, leader, changes)

    return leader, admit


def join(
    session,
    anonymous,
    slug="sunny",
    building="3栋",
    invite_code=None,
    name="李姐",
    phone=None,
    **extra,
):
    payload = {
        "phone": phone or str(next(_phones)),
        "password": PASSWORD,
        "name": name,
        "building": building,
        "unit": "501",
        "invite_code": invite_code,
        **extra,
    }
    with session.begin():
        return joining.join_community(session, anonymous, slug, payload)


def inbox(session, caller, identity):
    member = caller("member", tenant_id=identity["tenant_id"], member_id=identity["member_id"])
    with session.begin():
        return crm_inbox.list_inbox(session, member, {})["items"]


def events_of(session, event_type):
    with session.begin():
        return [
            row.payload["data"]
            for row in session.query(OutboxMessage).order_by(OutboxMessage.id)
            if row.payload["event_type"] == event_type
        ]


def checkout(session, caller, identity, order_id="o1"):
    member = caller("member", tenant_id=identity["tenant_id"], member_id=identity["member_id"])
    with session.begin():
        return loyalty.apply_checkout(
            session,
            member,
            {"order_id": order_id, "member_id": identity["member_id"], "subtotal_cents": 1000},
        )


# --- admission -------------------------------------------------------------------------------


def test_open_admission_is_active_at_once_with_the_welcome_guide(
    session, anonymous, caller, community
):
    _, admit = community
    admit(welcome_guide="群规:每周二截单,周四自提。")
    identity = join(session, anonymous)
    assert identity["member"]["status"] == "active"
    [welcome] = inbox(session, caller, identity)
    assert welcome["kind"] == "welcome" and welcome["title"] == "欢迎加入「阳光花园」"
    assert welcome["body"] == "群规:每周二截单,周四自提。"
    assert checkout(session, caller, identity)["total_cents"] == 1000  # may order


def test_without_a_guide_the_welcome_is_the_catalogue_default(
    session, anonymous, caller, community
):
    identity = join(session, anonymous)
    [welcome] = inbox(session, caller, identity)
    assert welcome["body"] == "欢迎加入!有任何问题都可以在群里问团长。"


def test_approval_mode_keeps_members_pending_and_unable_to_order(
    session, anonymous, caller, community
):
    leader, admit = community
    admit(admission={"mode": "approval", "allowed_buildings": []}, welcome_guide="新人指南")
    identity = join(session, anonymous, invite_code="ABCD1234")  # a code does not help here
    assert identity["member"]["status"] == "pending"
    assert inbox(session, caller, identity) == []
    with pytest.raises(Forbidden) as refused:
        checkout(session, caller, identity)
    assert refused.value.extra["reason"] == "member_pending"
    [joined] = events_of(session, "member_joined")
    assert joined["status"] == "pending"

    with session.begin():
        queue = profiles.list_members(session, leader, {"status": "pending"})["items"]
    assert [m["id"] for m in queue] == [identity["member_id"]]

    with session.begin():
        approved = admission.approve(session, leader, identity["member_id"])
    assert approved["status"] == "active"
    with pytest.raises(Conflict), session.begin():  # decided already
        admission.approve(session, leader, identity["member_id"])
    [event] = events_of(session, "member_approved")
    assert event["member_id"] == identity["member_id"] and event["status"] == "active"
    [welcome] = inbox(session, caller, identity)
    assert welcome["body"] == "新人指南"
    assert checkout(session, caller, identity)["status"] == "held"
    with session.begin():
        assert profiles.list_members(session, leader, {"status": "pending"})["items"] == []


def test_rejected_members_cannot_order_and_get_no_welcome(session, anonymous, caller, community):
    leader, admit = community
    admit(admission={"mode": "approval"})
    identity = join(session, anonymous)
    with session.begin():
        assert admission.reject(session, leader, identity["member_id"])["status"] == "rejected"
    assert events_of(session, "member_rejected")[0]["member_id"] == identity["member_id"]
    with pytest.raises(Conflict), session.begin():
        admission.approve(session, leader, identity["member_id"])
    with pytest.raises(Forbidden) as refused:
        checkout(session, caller, identity)
    assert refused.value.extra["reason"] == "member_rejected"
    assert inbox(session, caller, identity) == []


def test_invite_or_approval_lets_invited_residents_in(session, anonymous, caller, community):
    _, admit = community
    admit(admission={"mode": "invite_or_approval"})
    invited = join(
        session, anonymous, invite_code="ABCD1234"
    )  # the gateway has checked it with referral
    assert invited["member"]["status"] == "active" and len(inbox(session, caller, invited)) == 1
    walk_in = join(session, anonymous)
    assert walk_in["member"]["status"] == "pending"


def test_only_allowed_buildings_may_join(session, anonymous, community):
    _, admit = community
    admit(admission={"mode": "open", "allowed_buildings": ["3栋", "5号楼"]})
    for building in ("3", "3栋", " 3 栋", "5", "5号楼"):
        assert join(session, anonymous, building=building)["member"]["status"] == "active"
    with pytest.raises(Invalid) as refused:
        join(session, anonymous, building="7栋")
    assert refused.value.extra["errors"]["building"] == [
        "This community is for residents of its own buildings: 3栋、5号楼."
    ]
    with session.begin():
        assert session.query(Member).count() == 5  # nothing created for the refused one


@pytest.mark.parametrize(
    "admission",
    [
        {"mode": "lottery"},
        {"allowed_buildings": ["1"]},
        {"mode": "open", "allowed_buildings": ["  "]},
        {"mode": "open", "allowed_buildings": "3栋"},
        {"mode": "open", "extra": 1},
    ],
)
def test_bad_admission_settings_change_nothing(session, community, admission):
    leader, admit = community
    with pytest.raises(Invalid):
        admit(admission=admission)
    with pytest.raises(Invalid):
        admit(welcome_guide="x" * 5001)
    with session.begin():
        view = settings.get_settings(session, leader)
    assert (
        view["admission"] == {"mode": "open", "allowed_buildings": []}
        and view["welcome_guide"] == ""
    )


def test_only_the_leader_decides_and_only_in_their_community(session, anonymous, caller, community):
    leader, admit = community
    admit(admission={"mode": "approval"})
    identity = join(session, anonymous)
    member = caller("member", tenant_id=identity["tenant_id"], member_id=identity["member_id"])
    for who, error in (
        (member, Forbidden),
        (caller("staff", tenant_id=identity["tenant_id"]), Forbidden),
        (caller("leader", tenant_id="elsewhere"), NotFound),
    ):
        with pytest.raises(error), session.begin():
            admission.approve(session, who, identity["member_id"])
    with session.begin():
        assert session.get(Member, identity["member_id"]).status == "pending"


def test_the_welcome_guide_arrives_once(session, anonymous, caller, community):
    identity = join(session, anonymous)
    with session.begin():
        member = session.get(Member, identity["member_id"])
        admission.activate(session, member)  # activated again (a replay): no second guide
    with session.begin():
        assert (
            session.query(InboxMessage)
            .filter_by(member_id=identity["member_id"], kind="welcome")
            .count()
            == 1
        )


# --- profiles, tags, filters -----------------------------------------------------------------


def test_a_member_edits_their_profile_and_bad_input_changes_nothing(
    session, anonymous, caller, community
):
    _, admit = community
    admit(admission={"mode": "open", "allowed_buildings": ["3栋", "5栋"]})
    identity = join(session, anonymous)
    me = caller("member", tenant_id=identity["tenant_id"], member_id=identity["member_id"])
    with session.begin():
        updated = profiles.update_me(
            session,
            me,
            {
                "building": "5栋",
                "unit": "1202",
                "birthday": "1988-03-02",
                "household_notes": "两个孩子,对花生过敏",
                "email": "li@example.com",
            },
        )
    assert updated["building"] == "5栋" and updated["birthday"] == "1988-03-02"
    assert (
        updated["household_notes"] == "两个孩子,对花生过敏" and updated["email"] == "li@example.com"
    )
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    for bad in (
        {"birthday": tomorrow},
        {"birthday": "1800-01-01"},
        {"building": "9栋"},
        {"unit": ""},
        {"email": "not-an-email"},
        {"household_notes": "x" * 501},
        {"status": "active"},
        {},
        {"tags": ["vip"]},
    ):
        with pytest.raises(Invalid), session.begin():
            profiles.update_me(session, me, bad)
    with session.begin():
        member = session.get(Member, identity["member_id"])
        assert (member.building, member.birthday, member.status) == ("5栋", "1988-03-02", "active")
    with pytest.raises(Invalid) as refused, session.begin():  # named like joining names them
        profiles.update_me(session, me, {"building": "9栋"})
    assert refused.value.detail == "Your building is not served by this community."
    assert refused.value.extra["errors"]["building"] == [
        "This community is for residents of its own buildings: 3栋、5栋."
    ]
    with pytest.raises(Invalid):  # a future birthday at join too
        join(session, anonymous, building="3栋", birthday=date.today() + timedelta(days=2))


def test_the_leader_tags_filters_and_reads_a_member(session, anonymous, caller, community):
    leader, _ = community
    li = join(session, anonymous, name="李姐", phone="13911112222", building="3栋")
    wang = join(session, anonymous, name="王阿姨", phone="13933334444", building="5栋")
    with session.begin():
        detail = handlers.update_member(
            session, leader, li["member_id"], {"tags_add": ["宝妈", "VIP"], "note": "爱买水果"}
        )
    assert detail["tags"]["manual"] == ["VIP", "宝妈"] and detail["tags"]["auto"] == ["新人"]
    assert detail["note"] == "爱买水果" and detail["repurchase_predictions"] == []
    assert detail["points"] == 0 and detail["tier"]["name"] == "普通"
    assert detail["order_stats"] == {"paid_orders": 0, "spent_cents": 0, "last_order_at": None}
    with session.begin():
        detail = handlers.update_member(session, leader, li["member_id"], {"tags_remove": ["VIP"]})
    assert detail["tags"]["manual"] == ["宝妈"]

    def found(**query):
        with session.begin():
            return [m["name"] for m in profiles.list_members(session, leader, query)["items"]]

    assert found() == ["王阿姨", "李姐"]  # newest first
    assert (
        found(tag="宝妈") == ["李姐"]
        and found(tag="VIP") == []
        and found(tag="新人") == ["王阿姨", "李姐"]
    )
    assert (
        found(q="王") == ["王阿姨"] and found(q="2222") == ["李姐"] and found(q="5栋") == ["王阿姨"]
    )
    assert (
        found(q="5") == ["王阿姨"]
        and found(q="%") == []
        and found(status="active", tag="宝妈") == ["李姐"]
    )
    assert found(status="pending") == []
    for bad in (
        {"tags_add": ["a"], "tags_remove": ["a"]},
        {"tags_add": [""]},
        {"tags_add": ["x" * 21]},
        {},
        {"auto_tags": ["x"]},
        {"tags_add": "宝妈"},
    ):
        with pytest.raises(Invalid), session.begin():
            handlers.update_member(session, leader, wang["member_id"], bad)
    with pytest.raises(Invalid), session.begin():
        profiles.list_members(session, leader, {"status": "gone"})
    other = caller("leader", tenant_id="elsewhere")
    with pytest.raises(NotFound), session.begin():
        handlers.get_member(session, other, li["member_id"])
    with session.begin():
        assert profiles.list_members(session, other, {})["items"] == []
    with pytest.raises(Forbidden), session.begin():
        profiles.list_members(
            session, caller("member", tenant_id=li["tenant_id"], member_id=li["member_id"]), {}
        )


# --- login rate limiting ---------------------------------------------------------------------


def login(session, phone, password=PASSWORD, community=None):
    return handlers.authenticate(
        session, {"phone": phone, "password": password, "community": community}
    )


def test_five_failures_per_phone_and_community_then_429(session, anonymous, community):
    join(session, anonymous, phone="13955556666")
    for _ in range(5):
        with pytest.raises(Unauthorized):
            login(session, "13955556666", "wrong password", "sunny")
    with pytest.raises(RateLimited) as limited:
        login(session, "13955556666", community="sunny")  # even the right password waits
    assert 0 < limited.value.extra["retry_after_seconds"] <= 15 * 60
    with pytest.raises(RateLimited):
        login(session, "13955556666")  # naming no community does not get around it
    # Another phone is not affected, and the refused tries were not counted.
    join(session, anonymous, phone="13977778888")
    assert login(session, "13977778888", community="sunny")["role"] == "member"
    with session.begin():
        assert login_limit.failures(session, "13955556666") == 5


def test_a_success_does_not_reset_the_failures_and_the_window_passes(session, anonymous, community):
    join(session, anonymous, phone="13955556666")
    for _ in range(4):
        with pytest.raises(Unauthorized):
            login(session, "13955556666", "wrong password")
    assert login(session, "13955556666")["role"] == "member"  # the owner gets in...
    with pytest.raises(Unauthorized):
        login(session, "13955556666", "wrong password")
    with pytest.raises(RateLimited):  # ...and the attacker's failures still count
        login(session, "13955556666")
    with session.begin():  # 15 minutes later
        for attempt in session.query(LoginAttempt):
            attempt.at = attempt.at - timedelta(minutes=15, seconds=1)
    assert login(session, "13955556666")["role"] == "member"
    with session.begin():
        login_limit.prune(session)
        assert session.query(LoginAttempt).count() == 0


def test_twenty_failures_per_phone_across_communities(session):
    now = datetime.now(UTC)
    with session.begin():
        for i in range(20):  # four each in five communities: under each community's limit
            session.add(
                LoginAttempt(
                    phone="13955556666", community=f"com{i % 5}", at=now - timedelta(minutes=1)
                )
            )
    with pytest.raises(RateLimited) as limited:
        login(session, "13955556666", community="com9")
    assert 50 <= limited.value.extra["retry_after_seconds"] <= 15 * 60 - 50
