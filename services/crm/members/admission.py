"""Admission (准入审核) and the welcome (新人指南).

``admission_status`` decides a joining resident's status from the community's settings (see
``services.crm.community.settings``); a pending member has a token but cannot order until the
leader approves (``member_approved``) or rejects (``member_rejected``) them. A member becomes
active once (open join, invite code, or approval), and that is when the welcome guide lands in
their inbox: one message per member, whatever happens twice.
"""

from services.crm import events
from services.crm.community import buildings, settings
from services.crm.members.models import Member
from services.crm.members.profiles import member_view
from services.crm.notifications import delivery, inbox
from services.infra.db import get_in_community, utcnow
from services.infra.errors import Conflict
from services.infra.messaging import emit


def admission_status(community_settings, building, invite_code):
    """``active`` or ``pending`` for a resident joining with this building and invite code
    (the gateway has already checked the code with referral). A building the community does not
    serve is refused (422)."""
    admission = community_settings["admission"]
    buildings.require_building_allowed(admission, building)
    mode = admission["mode"]
    if mode == "approval" or (mode == "invite_or_approval" and not invite_code):
        return "pending"
    return "active"


def activate(session, member, now=None):
    """The member may order from now on; their inbox gets the welcome guide, once."""
    now = now or utcnow()
    member.status = "active"
    member.activated_at = member.activated_at or now
    community = settings.community_of(session, member.tenant_id)
    params = {"community": community.name, "guide": settings.effective(community)["welcome_guide"]}
    if (
        inbox.post(session, member.tenant_id, member.id, "welcome", params, "welcome", now)
        is not None
    ):
        delivery.notify_member(session, member, "welcome", params, now)


def _decide(session, caller, member_id, status, event_type):
    caller.require_leader("Only the leader may do this.")
    member = get_in_community(
        session,
        Member,
        member_id,
        caller.tenant_id,
        "No such member.",
        "member_id",
        with_for_update=True,
    )  # two decisions at once: one decides, the other sees it
    if member.status != "pending":
        raise Conflict(
            f"This member is {member.status}, not waiting for a decision.",
            {"reason": "wrong_state", "status": member.status},
        )
    now = utcnow()
    member.decided_at = now
    if status == "active":
        activate(session, member, now)
    else:
        member.status = status
    session.flush()
    emit(
        session,
        event_type,
        {
            "member_id": member.id,
            "name": member.name,
            "building": member.building,
            "unit": member.unit,
            "status": member.status,
            "at": now.isoformat(),
        },
        tenant_id=caller.tenant_id,
        correlation_id=caller.correlation_id,
    )
    return member_view(session, member)


def approve(session, caller, member_id):
    """The leader lets a pending resident in (审核通过)."""
    return _decide(session, caller, member_id, "active", events.MEMBER_APPROVED)


def reject(session, caller, member_id):
    """The leader turns a pending resident away (拒绝); they cannot order."""
    return _decide(session, caller, member_id, "rejected", events.MEMBER_REJECTED)
