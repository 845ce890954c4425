"""A resident joins a community (入团), and the public card on the join page."""

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from services.crm import events
from services.crm.accounts.identity import identity
from services.crm.accounts.models import Account
from services.crm.accounts.passwords import hash_password
from services.crm.community import settings
from services.crm.community.models import Community
from services.crm.community.schemas import community_view
from services.crm.members import admission
from services.crm.members import tags as tagging
from services.crm.members.models import Member
from services.crm.members.schemas import JOIN_INPUT
from services.infra.errors import Conflict, NotFound
from services.infra.messaging import emit
from services.infra.schemas import load


def community_by_slug(session, slug):
    community = (
        session.scalars(select(Community).where(Community.slug == slug)).first()
        if isinstance(slug, str)
        else None
    )
    if community is None:
        raise NotFound("No such community.", {"slug": slug})
    return community


def join_community(session, caller, slug, payload):
    """A resident joins (入团): active at once, or pending the leader's approval, by the
    community's admission settings (a building it does not serve: 422). An active member finds
    the welcome guide in their inbox."""
    data = load(JOIN_INPUT, payload)
    password_hash = hash_password(data["password"])
    community = community_by_slug(session, slug)
    status = admission.admission_status(
        settings.effective(community), data["building"], data["invite_code"]
    )
    taken = session.scalars(
        select(Account).where(Account.tenant_id == community.id, Account.phone == data["phone"])
    ).first()
    if taken is not None and taken.role != "member":  # the leader's or a helper's, maybe removed
        raise Conflict(
            "This phone number belongs to the community's leader or staff; join with another one.",
            {
                "reason": "phone_is_staff",
                "errors": {"phone": ["Used by the leader or staff here."]},
            },
        )
    if taken is not None:
        raise Conflict(
            "This phone number has already joined this community.",
            {
                "reason": "already_member",
                "errors": {"phone": ["Already a member here: log in instead."]},
            },
        )
    account = Account(
        tenant_id=community.id,
        phone=data["phone"],
        password_hash=password_hash,
        role="member",
        display_name=data["name"],
    )
    session.add(account)
    session.flush()
    birthday = data["birthday"].isoformat() if data["birthday"] else None
    member = Member(
        tenant_id=community.id,
        account_id=account.id,
        name=data["name"],
        building=data["building"],
        unit=data["unit"],
        birthday=birthday,
        status=status,
        invite_code=data["invite_code"],
    )
    session.add(member)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("This phone number has already joined this community.") from None
    if status == "active":
        admission.activate(session, member)
    tagging.refresh_member(session, community.id, member.id)
    emit(
        session,
        events.MEMBER_JOINED,
        {
            "member_id": member.id,
            "community_slug": community.slug,
            "name": member.name,
            "building": member.building,
            "unit": member.unit,
            "status": member.status,
            "invite_code": member.invite_code,
            "joined_at": member.created_at.isoformat(),
        },
        tenant_id=community.id,
        correlation_id=caller.correlation_id,
    )
    return {
        **identity(account, community, member.id),
        "member": {"id": member.id, "status": member.status},
    }


def get_community_card(session, slug):
    """The public card on the join page: nothing private."""
    community = community_by_slug(session, slug)
    members_total = session.scalar(
        select(func.count(Member.id)).where(
            Member.tenant_id == community.id, Member.status == "active"
        )
    )
    view = community_view(community)
    return {
        "slug": view["slug"],
        "name": view["name"],
        "leader_display_name": view["leader_display_name"],
        "members_total": members_total,
        "suspended": view["suspended"],
        "suspended_reason": view["suspended_reason"],
    }
