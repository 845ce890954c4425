"""Every community as the operator sees it, and its suspension (nothing is deleted)."""

from datetime import timedelta

from sqlalchemy import func, select, update

from services.crm import events
from services.crm.accounts.models import Account
from services.crm.community.models import Community
from services.crm.members.models import Member, Purchase
from services.crm.notifications.models import Delivery
from services.crm.operator.audit import require_operator
from services.crm.operator.schemas import (
    ACTIVE,
    COMMUNITIES_QUERY,
    DELIVERIES_QUERY,
    SUSPEND_INPUT,
    SUSPENDED,
)
from services.infra.db import newest_first, utcnow
from services.infra.errors import Conflict, NotFound
from services.infra.messaging import emit
from services.infra.schemas import decode_cursor, load, page

ACTIVITY_WINDOW = timedelta(days=30)


def list_communities(session, caller, query, now=None):
    """Newest first: name, slug, leader, active members, orders paid in the last 30 days (crm's
    purchase read model), created_at and status."""
    require_operator(caller)
    args = load(COMMUNITIES_QUERY, query)
    statement = select(Community)
    if args["status"]:
        statement = statement.where(Community.status == args["status"])
    rows = list(
        session.scalars(
            newest_first(statement, Community, decode_cursor(args["cursor"]), args["limit"])
        )
    )
    ids = [row.id for row in rows]
    members = dict(
        session.execute(
            select(Member.tenant_id, func.count(Member.id))
            .where(Member.tenant_id.in_(ids), Member.status == "active")
            .group_by(Member.tenant_id)
        ).all()
    )
    since = (now or utcnow()) - ACTIVITY_WINDOW
    orders = dict(
        session.execute(
            select(Purchase.tenant_id, func.count(Purchase.order_id))
            .where(Purchase.tenant_id.in_(ids), Purchase.placed_at >= since)
            .group_by(Purchase.tenant_id)
        ).all()
    )
    leaders = {
        account.tenant_id: account
        for account in session.scalars(
            select(Account).where(Account.tenant_id.in_(ids), Account.role == "leader")
        )
    }
    items = [
        {
            "id": row.id,
            "name": row.name,
            "slug": row.slug,
            "created_at": row.created_at.isoformat(),
            "leader": {
                "display_name": row.leader_display_name,
                "phone": leaders[row.id].phone if row.id in leaders else None,
            },
            "members_total": members.get(row.id, 0),
            "orders_last_30_days": orders.get(row.id, 0),
            "status": row.status,
            "suspended_reason": row.suspended_reason,
            "suspended_at": row.suspended_at.isoformat() if row.suspended_at else None,
        }
        for row in rows
    ]
    return page(items, args["limit"])


def _change(session, slug, expected, values):
    """Compare-and-set of a community's status: 404 if unknown, 409 if not ``expected``."""
    community = session.scalars(select(Community).where(Community.slug == slug)).first()
    if community is None:
        raise NotFound(f"No community {slug}.")
    changed = session.execute(
        update(Community)
        .where(Community.id == community.id, Community.status == expected)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        raise Conflict(f"The community is not {expected}.", {"reason": f"community_not_{expected}"})
    session.refresh(community)
    return community


def suspend(session, caller, slug, payload, now=None):
    data = load(SUSPEND_INPUT, payload)
    now = now or utcnow()
    community = _change(
        session,
        slug,
        ACTIVE,
        {"status": SUSPENDED, "suspended_reason": data["reason"], "suspended_at": now},
    )
    emit(
        session,
        events.COMMUNITY_SUSPENDED,
        {
            "community_id": community.id,
            "slug": community.slug,
            "reason": data["reason"],
            "at": now.isoformat(),
        },
        tenant_id=community.id,
        correlation_id=caller.correlation_id,
    )
    return {
        "slug": community.slug,
        "status": community.status,
        "suspended_reason": community.suspended_reason,
    }


def resume(session, caller, slug, now=None):
    now = now or utcnow()
    community = _change(
        session, slug, SUSPENDED, {"status": ACTIVE, "suspended_reason": None, "suspended_at": None}
    )
    emit(
        session,
        events.COMMUNITY_RESUMED,
        {"community_id": community.id, "slug": community.slug, "at": now.isoformat()},
        tenant_id=community.id,
        correlation_id=caller.correlation_id,
    )
    return {"slug": community.slug, "status": community.status, "suspended_reason": None}


def list_deliveries(session, caller, query):
    """Notification deliveries across communities (failed by default), newest first."""
    require_operator(caller)
    args = load(DELIVERIES_QUERY, query)
    statement = (
        select(Delivery, Community.slug)
        .join(Community, Community.id == Delivery.tenant_id)
        .where(Delivery.status == args["status"])
    )
    statement = newest_first(statement, Delivery, decode_cursor(args["cursor"]), args["limit"])
    items = [
        {
            "id": row.id,
            "community": slug,
            "channel_id": row.channel_id,
            "kind": row.kind,
            "subject": row.subject,
            "status": row.status,
            "attempts": row.attempts,
            "last_error": row.last_error,
            "created_at": row.created_at.isoformat(),
            "next_attempt_at": row.next_attempt_at.isoformat() if row.next_attempt_at else None,
        }
        for row, slug in session.execute(statement)
    ]
    return page(items, args["limit"])
