"""Members as the leader sees and manages them (团员管理): admission (准入审核), the welcome
(新人指南), profiles and tags (用户画像).

Admission: ``admission_status`` decides a joining resident's status from the community's
settings (see ``services.crm.settings``); a pending member has a token but cannot order until
the leader approves (``member_approved``) or rejects (``member_rejected``) them. A member
becomes active once (open join, invite code, or approval), and that is when the welcome guide
lands in their inbox: one message per member, whatever happens twice.
"""

from datetime import date

from marshmallow import ValidationError, fields, validate, validates_schema
from sqlalchemy import and_, exists, func, or_, select

from services.crm import events, loyalty, notify, prediction, settings
from services.crm import tags as tagging
from services.crm.models import Account, Community, InboxMessage, Member, MemberTag, Purchase
from services.crm.schemas import MEMBER
from services.infra.db import get_in_community, newest_first, utcnow
from services.infra.errors import Conflict, invalid
from services.infra.messaging import emit
from services.infra.schemas import (
    PageSchema,
    StrictBoolean,
    StrictSchema,
    Text,
    decode_cursor,
    load,
    page,
)

STATUSES = ("pending", "active", "rejected")
MAX_MANUAL_TAGS = 30


class MemberQuery(PageSchema):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    tag = fields.String(load_default=None, validate=validate.Length(min=1, max=40))
    q = fields.String(load_default=None, validate=validate.Length(min=1, max=40))


class MemberPatch(StrictSchema):
    """The leader's part of a profile: manual tags and a private note."""

    tags_add = fields.List(Text(20), load_default=list, validate=validate.Length(max=MAX_MANUAL_TAGS))
    tags_remove = fields.List(Text(20), load_default=list, validate=validate.Length(max=MAX_MANUAL_TAGS))
    note = fields.String(validate=validate.Length(max=2000))

    @validates_schema
    def _something_and_no_overlap(self, data, **kwargs):
        clash = {t.strip() for t in data.get("tags_add", [])} & {t.strip() for t in data.get("tags_remove", [])}
        if clash:
            raise ValidationError(f"Both added and removed: {', '.join(sorted(clash))}.", "tags_remove")
        if any(not tag.strip() for tag in data.get("tags_add", [])):
            raise ValidationError("A tag needs a name.", "tags_add")
        if not data.get("tags_add") and not data.get("tags_remove") and "note" not in data:
            raise ValidationError("Nothing to change.", "_schema")


class ProfilePatch(StrictSchema):
    """The member's own part of their profile."""

    building = fields.String(validate=validate.Length(min=1, max=20))
    unit = fields.String(validate=validate.Length(min=1, max=20))
    birthday = fields.Date(allow_none=True)
    household_notes = fields.String(validate=validate.Length(max=500))
    email = fields.String(allow_none=True, validate=[validate.Length(max=254), notify.EMAIL])
    reminders_opt_out = StrictBoolean()

    @validates_schema
    def _sensible(self, data, **kwargs):
        birthday = data.get("birthday")
        if birthday is not None and birthday > date.today():
            raise ValidationError("A birthday cannot be in the future.", "birthday")
        if birthday is not None and birthday.year < 1900:
            raise ValidationError("Enter a real birthday.", "birthday")
        for field in ("building", "unit"):
            if field in data and not data[field].strip():
                raise ValidationError("Must not be blank.", field)
        if not data:
            raise ValidationError("Nothing to change.", "_schema")


MEMBER_QUERY, MEMBER_PATCH, PROFILE_PATCH = MemberQuery(), MemberPatch(), ProfilePatch()


# --- admission -------------------------------------------------------------------------------

def require_building_allowed(admission, building):
    """Refuse (422) a building the community does not serve, naming the ones it does: joining
    and a member's own profile update say the same thing."""
    if not settings.building_allowed(admission, building):
        raise invalid({"building": ["This community is for residents of its own buildings: "
                                    + "、".join(admission["allowed_buildings"]) + "."]},
                      "Your building is not served by this community.")


def admission_status(community_settings, building, invite_code):
    """``active`` or ``pending`` for a resident joining with this building and invite code
    (the gateway has already checked the code with referral). A building the community does not
    serve is refused (422)."""
    admission = community_settings["admission"]
    require_building_allowed(admission, building)
    mode = admission["mode"]
    if mode == "approval" or (mode == "invite_or_approval" and not invite_code):
        return "pending"
    return "active"


def activate(session, member, now=None):
    """The member may order from now on; their inbox gets the welcome guide, once."""
    now = now or utcnow()
    member.status = "active"
    member.activated_at = member.activated_at or now
    community = session.get(Community, member.tenant_id)
    guide = settings.effective(community)["welcome_guide"]
    dedupe_key = "welcome"
    present = session.scalars(select(InboxMessage.id).where(
        InboxMessage.member_id == member.id, InboxMessage.dedupe_key == dedupe_key)).first()
    if present is None:
        params = {"community": community.name, "guide": guide}
        session.add(InboxMessage(tenant_id=member.tenant_id, member_id=member.id, kind="welcome",
                                 params=params, dedupe_key=dedupe_key, created_at=now))
        session.flush()
        notify.notify_member(session, member.tenant_id, member.id, "welcome", params, now)


def _decide(session, caller, member_id, status, event_type):
    caller.require_leader("Only the leader may do this.")
    member = get_in_community(session, Member, member_id, caller.tenant_id, "No such member.", "member_id")
    if member.status != "pending":
        raise Conflict(f"This member is {member.status}, not waiting for a decision.",
                       {"reason": "wrong_state", "status": member.status})
    now = utcnow()
    member.decided_at = now
    if status == "active":
        activate(session, member, now)
    else:
        member.status = status
    session.flush()
    emit(session, event_type, {"member_id": member.id, "name": member.name, "building": member.building,
                               "unit": member.unit, "status": member.status, "at": now.isoformat()},
         tenant_id=caller.tenant_id, correlation_id=caller.correlation_id)
    return member_view(session, member)


def approve(session, caller, member_id):
    """The leader lets a pending resident in (审核通过)."""
    return _decide(session, caller, member_id, "active", events.MEMBER_APPROVED)


def reject(session, caller, member_id):
    """The leader turns a pending resident away (拒绝); they cannot order."""
    return _decide(session, caller, member_id, "rejected", events.MEMBER_REJECTED)


# --- views -----------------------------------------------------------------------------------

def member_view(session, member, phone=None):
    if phone is None:
        phone = session.scalar(select(Account.phone).where(Account.id == member.account_id))
    return {**MEMBER.dump(member), "phone": phone, "tags": sorted(member.tags or []),
            "auto_tags": sorted(member.auto_tags or []), "reminders_opt_out": bool(member.reminders_opt_out)}


def order_stats(session, tenant_id, member_id):
    """The member's paid orders that still stand (not cancelled nor wholly refunded), what they
    came to less refunds, and the last one: the member sees on ``/me`` what the leader sees."""
    orders, spent, last = session.execute(
        select(func.count(Purchase.order_id), func.coalesce(func.sum(Purchase.total_cents - Purchase.refunded_cents), 0),
               func.max(Purchase.placed_at))
        .where(Purchase.tenant_id == tenant_id, Purchase.member_id == member_id, Purchase.status == "paid")).one()
    return {"paid_orders": int(orders), "spent_cents": int(spent),
            "last_order_at": last.isoformat() if last is not None else None}


def get_member(session, caller, member_id):
    """Everything the leader knows of one member: profile, tags (manual and automatic), points,
    tier, order stats, repurchase predictions (智能预测, ``services.crm.prediction``)."""
    caller.require_staff()
    member = get_in_community(session, Member, member_id, caller.tenant_id, "No such member.", "member_id")
    view = member_view(session, member)
    return {**view, "email": member.email, "household_notes": member.household_notes, "note": member.note,
            "activated_at": member.activated_at.isoformat() if member.activated_at else None,
            "tags": {"manual": view["tags"], "auto": view["auto_tags"]},
            **loyalty.member_summary(session, caller.tenant_id, member.id),
            "order_stats": order_stats(session, caller.tenant_id, member.id),
            "repurchase_predictions": prediction.member_predictions(session, caller.tenant_id, member.id)}


def list_members(session, caller, query):
    """The community's members, newest first: ``status`` (pending = the approval queue), ``tag``
    (manual or automatic) and ``q`` (part of the name, the phone's last digits, or the building)."""
    caller.require_staff()
    params = load(MEMBER_QUERY, query)
    statement = select(Member, Account.phone).join(Account, Account.id == Member.account_id).where(
        Member.tenant_id == caller.tenant_id)
    if params["status"]:
        statement = statement.where(Member.status == params["status"])
    if params["tag"]:
        statement = statement.where(exists().where(and_(
            MemberTag.member_id == Member.id, MemberTag.tenant_id == caller.tenant_id,
            MemberTag.tag == params["tag"].strip())))
    if params["q"]:
        q = params["q"].strip()
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        key = settings.building_key(q)
        conditions = [Member.name.like(f"%{escaped}%", escape="\\"),
                      Member.building.in_({q, key, *(key + suffix for suffix in settings.BUILDING_SUFFIXES)})]
        if q.isdigit() and 3 <= len(q) <= 11:
            conditions.append(Account.phone.like(f"%{q}"))
        statement = statement.where(or_(*conditions))
    statement = newest_first(statement, Member, decode_cursor(params["cursor"]), params["limit"])
    items = [member_view(session, member, phone) for member, phone in session.execute(statement)]
    return page(items, params["limit"])


def update_member(session, caller, member_id, payload):
    """The leader tags a member and keeps a private note."""
    caller.require_leader("Only the leader may do this.")
    data = load(MEMBER_PATCH, payload)
    member = get_in_community(session, Member, member_id, caller.tenant_id, "No such member.", "member_id")
    tags = (set(member.tags or []) | {t.strip() for t in data["tags_add"]}) - {t.strip() for t in data["tags_remove"]}
    if len(tags) > MAX_MANUAL_TAGS:
        raise invalid({"tags_add": [f"At most {MAX_MANUAL_TAGS} tags per member."]})
    tagging.set_tags(session, member, "manual", tags)
    if "note" in data:
        member.note = data["note"]
    session.flush()
    return get_member(session, caller, member.id)


def update_me(session, caller, payload):
    """A member keeps their own profile current: building (within the community's buildings),
    unit, birthday (not in the future), household notes, e-mail, no repurchase reminders."""
    caller.require_member()
    data = load(PROFILE_PATCH, payload)
    member = get_in_community(session, Member, caller.member_id, caller.tenant_id, "No such member.", "member_id")
    if "building" in data:
        require_building_allowed(settings.for_tenant(session, caller.tenant_id)["admission"], data["building"])
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
    return {**member_view(session, member), "email": member.email, "household_notes": member.household_notes}
