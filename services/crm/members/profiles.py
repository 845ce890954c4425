"""Members as the leader sees and manages them (团员管理): the list and its filters, profiles
and tags (用户画像), and the member's own part of their profile."""

from sqlalchemy import and_, exists, func, or_, select

from services.crm.accounts.models import Account
from services.crm.community import buildings, settings
from services.crm.members import tags as tagging
from services.crm.members.models import Member, MemberTag, Purchase
from services.crm.members.schemas import (
    MAX_MANUAL_TAGS,
    MEMBER_PATCH,
    MEMBER_QUERY,
    PROFILE_PATCH,
    member_card,
)
from services.infra.db import get_in_community, newest_first
from services.infra.errors import invalid
from services.infra.schemas import decode_cursor, load, page

# --- views -----------------------------------------------------------------------------------


def member_view(session, member, phone=None):
    if phone is None:
        phone = session.scalar(select(Account.phone).where(Account.id == member.account_id))
    return {
        **member_card(member),
        "phone": phone,
        "tags": sorted(member.tags or []),
        "auto_tags": sorted(member.auto_tags or []),
        "reminders_opt_out": bool(member.reminders_opt_out),
    }


def order_stats(session, tenant_id, member_id):
    """The member's paid orders that still stand (not cancelled nor wholly refunded), what they
    came to less refunds, and the last one: the member sees on ``/me`` what the leader sees."""
    orders, spent, last = session.execute(
        select(
            func.count(Purchase.order_id),
            func.coalesce(func.sum(Purchase.total_cents - Purchase.refunded_cents), 0),
            func.max(Purchase.placed_at),
        ).where(
            Purchase.tenant_id == tenant_id,
            Purchase.member_id == member_id,
            Purchase.status == "paid",
        )
    ).one()
    return {
        "paid_orders": int(orders),
        "spent_cents": int(spent),
        "last_order_at": last.isoformat() if last is not None else None,
    }


def member_details(session, caller, member_id):
    """What the members' part of crm knows of one member, for the leader: profile, notes and
    tags (manual and automatic). ``handlers.get_member`` adds points, tier and predictions."""
    caller.require_staff()
    member = get_in_community(
        session, Member, member_id, caller.tenant_id, "No such member.", "member_id"
    )
    view = member_view(session, member)
    return {
        **view,
        "email": member.email,
        "household_notes": member.household_notes,
        "note": member.note,
        "activated_at": member.activated_at.isoformat() if member.activated_at else None,
        "tags": {"manual": view["tags"], "auto": view["auto_tags"]},
        "order_stats": order_stats(session, caller.tenant_id, member.id),
    }


def list_members(session, caller, query):
    """The community's members, newest first: ``status`` (pending = the approval queue), ``tag``
    (manual or automatic) and ``q`` (part of the name, the phone's last digits, or the building)."""
    caller.require_staff()
    params = load(MEMBER_QUERY, query)
    statement = (
        select(Member, Account.phone)
        .join(Account, Account.id == Member.account_id)
        .where(Member.tenant_id == caller.tenant_id)
    )
    if params["status"]:
        statement = statement.where(Member.status == params["status"])
    if params["tag"]:
        statement = statement.where(
            exists().where(
                and_(
                    MemberTag.member_id == Member.id,
                    MemberTag.tenant_id == caller.tenant_id,
                    MemberTag.tag == params["tag"].strip(),
                )
            )
        )
    if params["q"]:
        q = params["q"].strip()
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        key = buildings.building_key(q)
        conditions = [
            Member.name.like(f"%{escaped}%", escape="\\"),
            Member.building.in_(
                {q, key, *(key + suffix for suffix in buildings.BUILDING_SUFFIXES)}
            ),
        ]
        if q.isdigit() and 3 <= len(q) <= 11:
            conditions.append(Account.phone.like(f"%{q}"))
        statement = statement.where(or_(*conditions))
    statement = newest_first(statement, Member, decode_cursor(params["cursor"]), params["limit"])
    items = [member_view(session, member, phone) for member, phone in session.execute(statement)]
    return page(items, params["limit"])


def update_member(session, caller, member_id, payload):
    """The leader tags a member and keeps a private note (the answer: ``handlers.get_member``)."""
    caller.require_leader("Only the leader may do this.")
    data = load(MEMBER_PATCH, payload)
    member = get_in_community(
        session, Member, member_id, caller.tenant_id, "No such member.", "member_id"
    )
    tags = (set(member.tags or []) | {t.strip() for t in data["tags_add"]}) - {
        t.strip() for t in data["tags_remove"]
    }
    if len(tags) > MAX_MANUAL_TAGS:
        raise invalid({"tags_add": [f"At most {MAX_MANUAL_TAGS} tags per member."]})
    tagging.set_tags(session, member, "manual", tags)
    if "note" in data:
        member.note = data["note"]
    session.flush()
    return member.id


def update_me(session, caller, payload):
    """A member keeps their own profile current: building (within the community's buildings),
    unit, birthday (not in the future), household notes, e-mail, no repurchase reminders."""
    caller.require_member()
    data = load(PROFILE_PATCH, payload)
    member = get_in_community(
        session, Member, caller.member_id, caller.tenant_id, "No such member.", "member_id"
    )
    if "building" in data:
        buildings.require_building_allowed(
            settings.for_tenant(session, caller.tenant_id)["admission"], data["building"]
        )
        member.building = data["building"].strip()
    if "unit" in data:
        member.unit = data["unit"].strip()
    if "birthday" in data:
        member.birthday = data["birthday"].isoformat() if data["birthday"] else None
    if "household_notes" in data:
        member.household_notes = data["household_notes"]
    if "email" in data:
        member.email = data["email"] or None
    if "reminders_opt_out" in data:
        member.reminders_opt_out = data["reminders_opt_out"]
    session.flush()
    return {
        **member_view(session, member),
        "email": member.email,
        "household_notes": member.household_notes,
    }
