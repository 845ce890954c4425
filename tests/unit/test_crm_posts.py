"""Posts (帖子): the leader writes, members of the community read published ones, newest first."""

import pytest

from services.crm.engagement import posts
from services.crm.models import Account, Base, Community, Member
from services.infra.errors import Forbidden, Invalid, NotFound


@pytest.fixture
def session(make_session):
    session = make_session(Base, "crm")
    with session.begin():
        session.add(Community(id="tenant-a", slug="aaa", name="团A", leader_display_name="团长"))
        session.add(Community(id="tenant-b", slug="bbb", name="团B", leader_display_name="团长"))
    with session.begin():
        for account_id, status in (("m1", "active"), ("m2", "pending")):
            session.add(
                Account(
                    id=account_id,
                    tenant_id="tenant-a",
                    phone=f"139000000{account_id[1]}",
                    role="member",
                    password_hash="x",
                    display_name=account_id,
                )
            )
            session.flush()
            session.add(
                Member(
                    id=account_id,
                    tenant_id="tenant-a",
                    account_id=account_id,
                    name=account_id,
                    building="3",
                    unit="1",
                    status=status,
                )
            )
    return session


def write(session, leader, **payload):
    with session.begin():
        return posts.create_post(
            session,
            leader,
            {"kind": "knowledge", "title": "本周菜价走势", "body": "青菜降价", **payload},
        )


def feed(session, who, **query):
    with session.begin():
        return [p["title"] for p in posts.list_posts(session, who, query)["items"]]


def test_members_read_published_posts_of_their_community_newest_first(session, caller):
    leader, member = caller("leader"), caller("member", member_id="m1")
    write(session, leader, title="本周菜价走势")
    write(session, leader, title="儿童营养早餐食谱")
    event = write(
        session, leader, kind="event", title="周末亲子烘焙", event_at="2026-11-29T02:00:00+00:00"
    )
    draft = write(session, leader, title="草稿", published=False)
    assert event["event_at"] == "2026-11-29T02:00:00+00:00" and draft["status"] == "draft"
    assert feed(session, member) == ["周末亲子烘焙", "儿童营养早餐食谱", "本周菜价走势"]
    assert feed(session, leader)[0] == "草稿"
    assert feed(session, member, kind="event") == ["周末亲子烘焙"]
    assert feed(session, member, limit=1) == ["周末亲子烘焙"]
    with session.begin():
        assert posts.get_post(session, member, event["id"])["title"] == "周末亲子烘焙"
    with pytest.raises(NotFound), session.begin():
        posts.get_post(session, member, draft["id"])
    # Another community sees none of it.
    other = caller("leader", tenant_id="tenant-b")
    assert feed(session, other) == []
    with pytest.raises(NotFound), session.begin():
        posts.get_post(session, other, event["id"])


def test_pending_members_cannot_read_and_members_cannot_write(session, caller):
    leader = caller("leader")
    write(session, leader)
    with pytest.raises(Forbidden) as refused, session.begin():
        posts.list_posts(session, caller("member", member_id="m2"), {})
    assert refused.value.extra["reason"] == "member_pending"
    for who in (caller("member", member_id="m1"), caller("staff")):
        with pytest.raises(Forbidden):
            write(session, who)


def test_the_leader_edits_publishes_and_deletes(session, caller):
    leader, member = caller("leader"), caller("member", member_id="m1")
    draft = write(session, leader, title="草稿", published=False)
    with session.begin():
        published = posts.update_post(
            session, leader, draft["id"], {"published": True, "title": "定稿"}
        )
    assert published["status"] == "published" and published["published_at"] is not None
    assert feed(session, member) == ["定稿"]
    with session.begin():
        turned = posts.update_post(
            session, leader, draft["id"], {"kind": "event", "event_at": "2026-12-01T01:00:00Z"}
        )
    assert turned["kind"] == "event"
    with session.begin():
        back = posts.update_post(
            session, leader, draft["id"], {"kind": "knowledge"}
        )  # drops the time
    assert back["event_at"] is None
    with session.begin():
        assert posts.delete_post(session, leader, draft["id"]) == {
            "id": draft["id"],
            "deleted": True,
        }
    assert feed(session, member) == []
    with pytest.raises(NotFound), session.begin():
        posts.delete_post(session, leader, draft["id"])


@pytest.mark.parametrize(
    "bad",
    [
        {"kind": "event"},  # an event needs its time
        {"kind": "knowledge", "event_at": "2026-11-29T02:00:00+00:00"},
        {"kind": "gossip"},
        {"title": ""},
        {"title": "x" * 81},
        {"body": ""},
        {"event_at": "2026-11-29T02:00:00"},
        {"published": "yes"},
        {"status": "published"},
    ],
)
def test_bad_posts_are_refused(session, caller, bad):
    with pytest.raises(Invalid):
        write(session, caller("leader"), **bad)
    assert feed(session, caller("leader")) == []
