"""Posts (社区帖子): the leader's knowledge posts ("本周菜价走势", "儿童营养早餐食谱") and events
("周末亲子烘焙") that members read in a feed, newest first. A post is published unless written
as a draft; publishing it (once) also announces it on the community's channels."""

from sqlalchemy import select

from services.crm.engagement.models import Post
from services.crm.engagement.schemas import POST_INPUT, POST_QUERY
from services.crm.members.models import Member
from services.crm.notifications import delivery
from services.infra.db import get_in_community, newest_first, utcnow
from services.infra.errors import Forbidden, NotFound, invalid
from services.infra.schemas import decode_cursor, load, page


def _reader(session, caller):
    """Staff read everything; a member reads once they are active."""
    caller.require_tenant()
    if caller.is_staff:
        return
    caller.require_member()
    member = session.get(Member, caller.member_id)
    if member is None or member.tenant_id != caller.tenant_id or member.status != "active":
        raise Forbidden(
            "Posts are for the community's members: your membership is not active yet.",
            {
                "reason": "member_pending"
                if member is not None and member.status == "pending"
                else "member_inactive"
            },
        )


def post_view(post):
    return {
        "id": post.id,
        "kind": post.kind,
        "title": post.title,
        "body": post.body,
        "event_at": post.event_at.isoformat() if post.event_at else None,
        "status": post.status,
        "published_at": post.published_at.isoformat() if post.published_at else None,
        "created_at": post.created_at.isoformat(),
        "updated_at": post.updated_at.isoformat(),
    }


def _publish(session, post, now):
    if post.status == "published" and post.published_at is None:
        post.published_at = now
        delivery.announce(
            session,
            post.tenant_id,
            "post",
            {"kind": post.kind, "title": post.title, "body": post.body},
            now=now,
        )


def create_post(session, caller, payload):
    caller.require_leader("Only the leader writes the community's posts.")
    data = load(POST_INPUT, payload)
    now = utcnow()
    post = Post(
        tenant_id=caller.tenant_id,
        kind=data["kind"],
        title=data["title"].strip(),
        body=data["body"],
        event_at=data["event_at"],
        status="published" if data["published"] else "draft",
        created_at=now,
        updated_at=now,
    )
    session.add(post)
    session.flush()
    _publish(session, post, now)
    return post_view(post)


def update_post(session, caller, post_id, payload):
    """A partial change; ``published: true`` publishes a draft (announced once), ``false``
    takes a post back out of the feed."""
    caller.require_leader("Only the leader writes the community's posts.")
    data = load(POST_INPUT, payload, partial=True)
    post = get_in_community(session, Post, post_id, caller.tenant_id, "No such post.", "post_id")
    kind = data.get("kind", post.kind)
    if "event_at" in data:
        event_at = data["event_at"]
    else:  # a post turned into knowledge drops its time
        event_at = post.event_at if kind == "event" else None
    if kind == "event" and event_at is None:
        raise invalid({"event_at": ["An event needs its date and time."]})
    if kind == "knowledge" and event_at is not None:
        raise invalid({"event_at": ["Only an event has a date and time."]})
    post.kind, post.event_at = kind, event_at
    for field in ("title", "body"):
        if field in data:
            setattr(post, field, data[field].strip() if field == "title" else data[field])
    if "published" in data:
        post.status = "published" if data["published"] else "draft"
    now = utcnow()
    post.updated_at = now
    session.flush()
    _publish(session, post, now)
    return post_view(post)


def delete_post(session, caller, post_id):
    caller.require_leader("Only the leader writes the community's posts.")
    post = get_in_community(session, Post, post_id, caller.tenant_id, "No such post.", "post_id")
    session.delete(post)
    session.flush()
    return {"id": post_id, "deleted": True}


def list_posts(session, caller, query):
    """The feed, newest first: members see published posts; the leader also sees drafts."""
    _reader(session, caller)
    params = load(POST_QUERY, query)
    statement = select(Post).where(Post.tenant_id == caller.tenant_id)
    if not caller.is_staff:
        statement = statement.where(Post.status == "published")
    if params["kind"]:
        statement = statement.where(Post.kind == params["kind"])
    statement = newest_first(statement, Post, decode_cursor(params["cursor"]), params["limit"])
    return page([post_view(post) for post in session.scalars(statement)], params["limit"])


def get_post(session, caller, post_id):
    _reader(session, caller)
    post = get_in_community(session, Post, post_id, caller.tenant_id, "No such post.", "post_id")
    if post.status != "published" and not caller.is_staff:
        raise NotFound("No such post.", {"post_id": post_id})
    return post_view(post)
