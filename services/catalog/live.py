"""Live sessions (直播场次): the leader sells on camera; live prices apply only while it is live.

A session goes ``scheduled -> live -> ended``. Its items are a selling channel like a wave's
(``channels``, with ``CHANNEL``): a live price, a quota (限量) and an optional per-member limit
(限购). The leader pins the item being explained (讲解中); members comment (弹幕).

The live room (直播间) itself is the gateway's websocket. Catalog keeps what it needs to be
shared by every gateway process: presence rows per connection (watching), distinct viewers and
the peak, and one outbox event, ``live_room_changed``, per change the viewers must see.
"""

import math
from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from services.catalog import channels, events
from services.catalog.channels import ChannelKind
from services.catalog.models import (
    CatalogMember,
    LiveComment,
    LiveItem,
    LivePresence,
    LiveSession,
    LiveViewer,
    Product,
    StockReservation,
)
from services.catalog.schemas import (
    COMMENT,
    COMMENT_INPUT,
    COMMENT_QUERY,
    LIVE_INPUT,
    LIVE_QUERY,
    LIVE_SESSION,
    PIN_INPUT,
    PRESENCE_REFRESH,
    ROOM_JOIN,
)
from services.infra.db import compare_and_set, get_in_community, newest_first, utcnow
from services.infra.errors import Conflict, NotFound, RateLimited, invalid
from services.infra.messaging import emit, inbox_consumer
from services.infra.periods import ratio
from services.infra.privacy import UNKNOWN_NEIGHBOUR, mask_name
from services.infra.schemas import decode_cursor, encode_cursor, load, page

CHANNEL = ChannelKind(type="live", item=LiveItem, owner="session_id", noun="live session")

MEMBER_JOINED = events.MemberJoinedData()

COMMENT_GAP = timedelta(seconds=3)  # at most one comment per member every 3 s ...
COMMENT_WINDOW = timedelta(minutes=1)
COMMENTS_PER_WINDOW = 10  # ... and 10 a minute
SNAPSHOT_COMMENTS = 20
# The gateway refreshes its connections every few seconds; a process silent this long is gone.
PRESENCE_TIMEOUT = timedelta(seconds=45)
REFRESH_CHUNK = 500


@inbox_consumer("services.catalog.live:record_member_joined")
def record_member_joined(session, event):
    """``crm.member_joined`` -> the member's masked name, for comments and purchases."""
    data = load(MEMBER_JOINED, event["data"])
    member = session.get(CatalogMember, data["member_id"])
    if member is None:
        member = CatalogMember(member_id=data["member_id"], tenant_id=event["tenant_id"])
        session.add(member)
    member.masked_name = mask_name(data["name"])


def display_name(session, tenant_id, member_id):
    member = session.get(CatalogMember, member_id) if member_id else None
    if member is None or member.tenant_id != tenant_id:
        return UNKNOWN_NEIGHBOUR
    return member.masked_name


# --- reading ---------------------------------------------------------------------------------


def _live(session, tenant_id, session_id, **options):
    return get_in_community(
        session,
        LiveSession,
        session_id,
        tenant_id,
        "No such live session in this community.",
        "session_id",
        **options,
    )


def _watching(session, session_id):
    return session.scalar(
        select(func.count(func.distinct(LivePresence.member_id))).where(
            LivePresence.session_id == session_id, LivePresence.is_staff.is_(False)
        )
    )


def _viewers(session, session_id):
    """Distinct members who watched while live (the rows stay after the session ends)."""
    return session.scalar(
        select(func.count(LiveViewer.id)).where(LiveViewer.session_id == session_id)
    )


def stats(session, live):
    """Viewers and sales of a session, from rows that stay after it ends."""
    viewers = _viewers(session, live.id)
    buyers, orders, gmv = session.execute(
        select(
            func.count(func.distinct(StockReservation.member_id)),
            func.count(StockReservation.id),
            func.coalesce(func.sum(StockReservation.total_cents), 0),
        ).where(
            StockReservation.channel_type == CHANNEL.type,
            StockReservation.channel_id == live.id,
            StockReservation.status == "reserved",
        )
    ).one()
    return {
        "viewers": viewers,
        "peak_viewers": live.peak_viewers,
        "watching": _watching(session, live.id),
        "buyers": buyers,
        "orders": orders,
        "gmv_cents": int(gmv),
        "conversion_rate": ratio(buyers, viewers),
    }


def _items(session, live_ids):
    rows = (
        session.execute(
            select(LiveItem, Product.name, Product.unit, Product.price_cents)
            .join(Product, Product.id == LiveItem.product_id)
            .where(LiveItem.session_id.in_(live_ids))
            .order_by(LiveItem.position)
            .execution_options(populate_existing=True)
        ).all()
        if live_ids
        else []
    )
    items = {live_id: [] for live_id in live_ids}
    for item, name, unit, list_price in rows:
        items[item.session_id].append(
            {
                "product_id": item.product_id,
                "name": name,
                "unit": unit,
                "live_price_cents": item.price_cents,
                "list_price_cents": list_price,
                "quota": item.quota,
                "sold": item.sold,
                "remaining": max(item.quota - item.sold, 0),
                "per_member_limit": item.per_member_limit,
            }
        )
    return items


def _pinned(live, items):
    for item in items:
        if item["product_id"] == live.pinned_product_id:
            return {
                "product_id": item["product_id"],
                "name": item["name"],
                "live_price_cents": item["live_price_cents"],
            }
    return None


def _dump(session, lives):
    lives = list(lives)
    items = _items(session, [live.id for live in lives])
    return [
        LIVE_SESSION.dump(
            {
                **{
                    name: getattr(live, name)
                    for name in (
                        "id",
                        "title",
                        "host_persona",
                        "co_hosts",
                        "scheduled_at",
                        "stream_url",
                        "status",
                        "started_at",
                        "ended_at",
                        "created_at",
                    )
                },
                "pinned": _pinned(live, items[live.id]),
                "items": items[live.id],
                "stats": stats(session, live),
            }
        )
        for live in lives
    ]


def get_live_session(session, caller, session_id):
    return _dump(session, [_live(session, caller.require_tenant(), session_id)])[0]


def list_live_sessions(session, caller, query):
    params = load(LIVE_QUERY, query)
    statement = select(LiveSession).where(LiveSession.tenant_id == caller.require_tenant())
    if params["status"]:
        statement = statement.where(LiveSession.status == params["status"])
    statement = newest_first(
        statement, LiveSession, decode_cursor(params["cursor"]), params["limit"]
    )
    return page(_dump(session, session.scalars(statement)), params["limit"])


# --- the room's messages (live_room_changed) -------------------------------------------------


def _announce(session, live, message, correlation_id=None):
    emit(
        session,
        events.LIVE_ROOM_CHANGED,
        {"session_id": live.id, "message": message},
        tenant_id=live.tenant_id,
        correlation_id=correlation_id,
    )


def _iso(moment):
    return moment.isoformat() if moment is not None else None


def _announce_status(session, live, correlation_id=None):
    _announce(
        session,
        live,
        {
            "type": "status",
            "status": live.status,
            "started_at": _iso(live.started_at),
            "ended_at": _iso(live.ended_at),
        },
        correlation_id,
    )


def _announce_viewers(session, live, correlation_id=None):
    session.flush()
    _announce(
        session,
        live,
        {
            "type": "viewers",
            "watching": _watching(session, live.id),
            "viewers": _viewers(session, live.id),
            "peak_viewers": live.peak_viewers,
        },
        correlation_id,
    )


def _announce_stock(session, live, product_ids, correlation_id=None):
    items = session.scalars(
        select(LiveItem)
        .where(LiveItem.session_id == live.id, LiveItem.product_id.in_(product_ids))
        .order_by(LiveItem.position)
        .execution_options(populate_existing=True)
    ).all()
    _announce(
        session,
        live,
        {
            "type": "stock",
            "items": [
                {"product_id": item.product_id, "remaining": max(item.quota - item.sold, 0)}
                for item in items
            ],
        },
        correlation_id,
    )


def _dump_comment(comment):
    return COMMENT.dump(
        {
            "id": comment.id,
            "author": comment.author,
            "text": comment.text,
            "at": comment.created_at,
            "hidden": comment.hidden,
        }
    )


# --- the leader's use cases ------------------------------------------------------------------


def create_live_session(session, caller, payload):
    """A leader schedules a session. Every rule is checked before anything is written."""
    caller.require_staff()
    data = load(LIVE_INPUT, payload)
    item_errors = channels.item_errors(session, CHANNEL, caller.tenant_id, data["items"])
    if item_errors:
        raise invalid({"items": item_errors})
    items = data.pop("items")
    live = LiveSession(tenant_id=caller.tenant_id, status="scheduled", peak_viewers=0, **data)
    session.add(live)
    session.flush()
    session.add_all(
        LiveItem(
            session_id=live.id,
            position=index,
            sold=0,
            product_id=item["product_id"],
            price_cents=item["live_price_cents"],
            quota=item["quota"],
            per_member_limit=item["per_member_limit"],
        )
        for index, item in enumerate(items)
    )
    session.flush()
    return _dump(session, [live])[0]


def _move(session, live, before, after, **values):
    """``before -> after`` once: the conditional UPDATE makes a concurrent mover a no-op, and on
    PostgreSQL waits for reservations in flight (their shared lock, see ``open_session``)."""
    moved = compare_and_set(
        session,
        LiveSession,
        (LiveSession.id == live.id, LiveSession.status == before),
        {"status": after, **values},
    )
    session.refresh(live)
    return moved == 1


def start_live_session(session, caller, session_id, now=None):
    """On air: live prices apply from now. Members already in the room become its viewers."""
    caller.require_staff()
    live = _live(session, caller.tenant_id, session_id)
    if not _move(session, live, "scheduled", "live", started_at=now or utcnow()):
        reason = "live_already_started" if live.status == "live" else "live_ended"
        raise Conflict(
            f"This live session is {live.status}; only a scheduled session can start.",
            {"session_id": live.id, "status": live.status, "reason": reason},
        )
    _announce_status(session, live, caller.correlation_id)
    present = session.scalars(
        select(LivePresence.member_id)
        .distinct()
        .where(LivePresence.session_id == live.id, LivePresence.is_staff.is_(False))
    ).all()
    if present:  # an empty room has no one to tell
        for member_id in present:
            _count_viewer(session, live, member_id)
        _raise_peak(session, live)
        _announce_viewers(session, live, caller.correlation_id)
    return _dump(session, [live])[0]


def end_live_session(session, caller, session_id, now=None):
    """Off air: live prices stop; the stats stay."""
    caller.require_staff()
    live = _live(session, caller.tenant_id, session_id)
    if not _move(session, live, "live", "ended", ended_at=now or utcnow()):
        reason = "live_not_started" if live.status == "scheduled" else "live_ended"
        raise Conflict(
            f"This live session is {live.status}; only a live session can end.",
            {"session_id": live.id, "status": live.status, "reason": reason},
        )
    _announce_status(session, live, caller.correlation_id)
    return _dump(session, [live])[0]


def pin_live_item(session, caller, session_id, payload):
    """The leader pins the item being explained (讲解中); any item of the session, any time
    before it ends."""
    caller.require_staff()
    data = load(PIN_INPUT, payload)
    live = _live(session, caller.tenant_id, session_id)
    if live.status == "ended":
        raise Conflict(
            "This live session has ended.", {"session_id": live.id, "reason": "live_ended"}
        )
    row = session.execute(
        select(LiveItem, Product.name)
        .join(Product, Product.id == LiveItem.product_id)
        .where(LiveItem.session_id == live.id, LiveItem.product_id == data["product_id"])
    ).first()
    if row is None:
        raise invalid({"product_id": ["This product is not offered in this live session."]})
    item, name = row
    live.pinned_product_id = item.product_id
    session.flush()
    _announce(
        session,
        live,
        {
            "type": "pinned",
            "product_id": item.product_id,
            "name": name,
            "live_price_cents": item.price_cents,
        },
        caller.correlation_id,
    )
    return _dump(session, [live])[0]


# --- selling (called from handlers.reserve_stock / release_stock) -----------------------------


def open_session(session, tenant_id, session_id):
    """The session an order is placed in: it must be live, or its prices do not apply.

    A shared row lock (PostgreSQL; SQLite serialises writers anyway) makes ending wait for
    reservations in flight, so no order slips in at the live price after the session ended.
    """
    live = _live(session, tenant_id, session_id, with_for_update={"read": True})
    if live.status != "live":
        raise Conflict(
            "This live session is not live; its live prices apply only while it is.",
            {"session_id": live.id, "status": live.status, "reason": "live_not_live"},
        )
    return live


def record_purchase(session, live, member_id, lines, correlation_id=None):
    """Tell the room: who bought what (masked), then what is left of each item."""
    _announce(
        session,
        live,
        {
            "type": "purchase",
            "buyer": display_name(session, live.tenant_id, member_id),
            "items": [
                {
                    "product_id": line["product_id"],
                    "name": line["name"],
                    "quantity": line["quantity"],
                }
                for line in lines
            ],
        },
        correlation_id,
    )
    _announce_stock(session, live, [line["product_id"] for line in lines], correlation_id)


def record_release(session, tenant_id, session_id, product_ids):
    """A cancelled live order gave quota back: the room sees it is buyable again."""
    live = session.get(LiveSession, session_id)
    if live is not None and live.tenant_id == tenant_id:
        _announce_stock(session, live, product_ids)


# --- comments (弹幕) ------------------------------------------------------------------------


def _retry_after(session, live, member_id, now):
    """Seconds until this member may comment again, or ``None``. Counted from stored comments,
    so the limit holds whichever process takes the next one."""
    recent = session.scalars(
        select(LiveComment.created_at)
        .where(
            LiveComment.session_id == live.id,
            LiveComment.member_id == member_id,
            LiveComment.created_at > now - COMMENT_WINDOW,
        )
        .order_by(LiveComment.created_at.desc())
        .limit(COMMENTS_PER_WINDOW)
    ).all()
    wait = None
    if recent and now - recent[0] < COMMENT_GAP:
        wait = COMMENT_GAP - (now - recent[0])
    if len(recent) >= COMMENTS_PER_WINDOW:
        wait = max(wait or timedelta(0), COMMENT_WINDOW - (now - recent[-1]))
    return None if wait is None else max(1, math.ceil(wait.total_seconds()))


def _one_comment_at_a_time(session, session_id, member_id):
    """On PostgreSQL, a member's concurrent comments queue here (a transaction-scoped advisory
    lock), so two at once cannot both pass the rate limit. SQLite serialises writers anyway."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            select(
                func.pg_advisory_xact_lock(func.hashtext(f"live-comment:{session_id}:{member_id}"))
            )
        )


def post_live_comment(session, caller, session_id, payload, now=None):
    """A member comments while the session is live (1 to 200 characters)."""
    caller.require_member()
    data = load(COMMENT_INPUT, payload)
    live = _live(session, caller.tenant_id, session_id)
    if live.status != "live":
        raise Conflict(
            "Comments are open only while the session is live.",
            {"session_id": live.id, "status": live.status, "reason": "live_not_live"},
        )
    now = now or utcnow()
    _one_comment_at_a_time(session, live.id, caller.member_id)
    retry_after = _retry_after(session, live, caller.member_id, now)
    if retry_after is not None:
        raise RateLimited(
            "You are commenting too fast; wait a moment.",
            {"retry_after_seconds": retry_after, "reason": "comment_rate_limited"},
        )
    comment = LiveComment(
        tenant_id=live.tenant_id,
        session_id=live.id,
        member_id=caller.member_id,
        author=display_name(session, live.tenant_id, caller.member_id),
        text=data["text"],
        hidden=False,
        created_at=now,
    )
    session.add(comment)
    session.flush()
    view = _dump_comment(comment)
    _announce(
        session,
        live,
        {"type": "comment", "comment": {key: view[key] for key in ("id", "author", "text", "at")}},
        caller.correlation_id,
    )
    return view


def list_live_comments(session, caller, session_id, query):
    """Newest first. Members never see hidden comments; staff see them marked ``hidden``."""
    params = load(COMMENT_QUERY, query)
    live = _live(session, caller.require_tenant(), session_id)
    statement = select(LiveComment).where(LiveComment.session_id == live.id)
    if not caller.is_staff:
        statement = statement.where(LiveComment.hidden.is_(False))
    limit = params["limit"]
    rows = session.scalars(
        newest_first(statement, LiveComment, decode_cursor(params["cursor"]), limit)
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [_dump_comment(row) for row in rows],
        "next_cursor": encode_cursor([rows[-1].created_at.isoformat(), rows[-1].id])
        if more
        else None,
    }


def hide_live_comment(session, caller, session_id, comment_id):
    """The leader hides a comment; viewers' screens drop it. Hiding twice answers it as it is."""
    caller.require_staff()
    live = _live(session, caller.tenant_id, session_id)
    comment = session.get(LiveComment, comment_id) if isinstance(comment_id, str) else None
    if comment is None or comment.session_id != live.id:
        raise NotFound("No such comment in this live session.", {"comment_id": comment_id})
    # Hidden once: two leaders (or two processes) hiding it at once announce it once.
    hid = compare_and_set(
        session,
        LiveComment,
        (LiveComment.id == comment.id, LiveComment.hidden.is_(False)),
        {"hidden": True},
    )
    session.refresh(comment)
    if hid:
        _announce(
            session,
            live,
            {"type": "comment_hidden", "comment_id": comment.id},
            caller.correlation_id,
        )
    return _dump_comment(comment)


# --- presence in the room (the gateway's websocket calls these) -------------------------------


def _insert_ignoring_duplicate(session, model, **values):
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(dialect.insert(model).values(**values).on_conflict_do_nothing())


def _count_viewer(session, live, member_id):
    _insert_ignoring_duplicate(session, LiveViewer, session_id=live.id, member_id=member_id)


def _raise_peak(session, live):
    """The peak only grows, and only while live; a conditional UPDATE keeps the highest."""
    if live.status != "live":
        return
    watching = _watching(session, live.id)
    session.execute(
        update(LiveSession)
        .where(LiveSession.id == live.id, LiveSession.peak_viewers < watching)
        .values(peak_viewers=watching)
        .execution_options(synchronize_session=False)
    )
    session.refresh(live)


def _recent_comments(session, live):
    rows = session.scalars(
        select(LiveComment)
        .where(LiveComment.session_id == live.id, LiveComment.hidden.is_(False))
        .order_by(LiveComment.created_at.desc(), LiveComment.id.desc())
        .limit(SNAPSHOT_COMMENTS)
    ).all()
    return [
        {key: view[key] for key in ("id", "author", "text", "at")}
        for view in map(_dump_comment, reversed(rows))
    ]


def join_live_room(session, caller, session_id, connection_id, instance_id, now=None):
    """A viewer's websocket entered the room: record the connection, count the member as a
    viewer if the session is live, tell the room. Answers the room's current state (the
    session, and the last comments oldest first). Idempotent per ``connection_id``."""
    tenant_id = caller.require_tenant()
    if caller.is_staff:
        viewer_id = caller.account_id or ""
    else:
        viewer_id = caller.require_member().member_id
    load(
        ROOM_JOIN,
        {"session_id": session_id, "connection_id": connection_id, "instance_id": instance_id},
    )
    live = _live(session, tenant_id, session_id)
    now = now or utcnow()
    presence = session.get(LivePresence, connection_id)
    if presence is not None:
        if (
            presence.tenant_id != tenant_id
            or presence.session_id != live.id
            or presence.member_id != viewer_id
        ):
            raise Conflict(
                "This connection is already in another room.", {"reason": "connection_in_use"}
            )
        presence.seen_at = now
    else:
        session.add(
            LivePresence(
                connection_id=connection_id,
                tenant_id=tenant_id,
                session_id=live.id,
                member_id=viewer_id,
                is_staff=caller.is_staff,
                instance_id=instance_id,
                seen_at=now,
            )
        )
        session.flush()
        if live.status == "live" and not caller.is_staff:
            _count_viewer(session, live, viewer_id)
            _raise_peak(session, live)
        _announce_viewers(session, live, caller.correlation_id)
    session.flush()
    return {"session": _dump(session, [live])[0], "comments": _recent_comments(session, live)}


def leave_live_room(session, caller, connection_id):
    """A viewer's websocket closed. Leaving twice is a no-op."""
    presence = session.get(LivePresence, connection_id) if isinstance(connection_id, str) else None
    if presence is None or (caller.tenant_id and presence.tenant_id != caller.tenant_id):
        return {"connection_id": connection_id, "left": False}
    live = session.get(LiveSession, presence.session_id)
    session.delete(presence)
    session.flush()
    if live is not None:
        _announce_viewers(session, live, caller.correlation_id)
    return {"connection_id": connection_id, "left": True}


def refresh_live_presence(session, instance_id, connection_ids, now=None):
    """A gateway process says its connections are still open. ``missing`` are those catalog no
    longer knows (pruned while the process stalled): the gateway should join them again."""
    data = load(PRESENCE_REFRESH, {"instance_id": instance_id, "connection_ids": connection_ids})
    now = now or utcnow()
    ids = list(dict.fromkeys(data["connection_ids"]))
    found = set()
    for start in range(0, len(ids), REFRESH_CHUNK):
        chunk = ids[start : start + REFRESH_CHUNK]
        found.update(
            session.scalars(
                select(LivePresence.connection_id).where(
                    LivePresence.instance_id == data["instance_id"],
                    LivePresence.connection_id.in_(chunk),
                )
            )
        )
        session.execute(
            update(LivePresence)
            .where(
                LivePresence.instance_id == data["instance_id"],
                LivePresence.connection_id.in_(chunk),
            )
            .values(seen_at=now)
            .execution_options(synchronize_session=False)
        )
    return {"refreshed": len(found), "missing": [cid for cid in ids if cid not in found]}


def prune_stale_presence(session, now=None):
    """Forget connections no gateway process has refreshed for ``PRESENCE_TIMEOUT`` (the process
    died) and tell their rooms. Returns how many were pruned."""
    cutoff = (now or utcnow()) - PRESENCE_TIMEOUT
    # RETURNING: only what this call deleted, so two catalog processes pruning at once do not
    # both announce the same rooms.
    session_ids = session.scalars(
        delete(LivePresence)
        .where(LivePresence.seen_at < cutoff)
        .returning(LivePresence.session_id)
        .execution_options(synchronize_session=False)
    ).all()
    for live in session.scalars(select(LiveSession).where(LiveSession.id.in_(set(session_ids)))):
        _announce_viewers(session, live)
    return len(session_ids)
