"""Referral use cases."""

import secrets

from sqlalchemy import func, select

from services.infra.errors import NotFound
from services.infra.schemas import load
from services.referral import events
from services.referral.models import InviteCode, Referral

MEMBER_JOINED = events.MemberJoinedData()
# No 0/O, 1/I/L: a neighbour may read the code aloud or type it from a poster.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8


def new_code():
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def record_member_joined(session, event):
    """``crm.member_joined`` -> the member's own invite code, and who invited them."""
    data = load(MEMBER_JOINED, event["data"])
    tenant_id = event["tenant_id"]
    if session.get(InviteCode, data["member_id"]) is None:
        session.add(InviteCode(member_id=data["member_id"], tenant_id=tenant_id,
                               community_slug=data["community_slug"], code=_unused_code(session)))
    if data["invite_code"] and session.get(Referral, data["member_id"]) is None:
        owner = session.scalars(
            select(InviteCode).where(InviteCode.code == data["invite_code"].upper(), InviteCode.tenant_id == tenant_id)
        ).first()
        if owner is not None and owner.member_id != data["member_id"]:
            session.add(Referral(invitee_member_id=data["member_id"], tenant_id=tenant_id,
                                 referrer_member_id=owner.member_id, code=owner.code))


def _unused_code(session):
    while True:
        code = new_code()
        if session.scalars(select(InviteCode).where(InviteCode.code == code)).first() is None:
            return code


def get_my_referral(session, caller, public_url):
    caller.require_member()
    invite = session.get(InviteCode, caller.member_id)
    if invite is None or invite.tenant_id != caller.tenant_id:
        raise NotFound("Your invite code is being prepared; try again in a moment.")
    counts = dict(session.execute(
        select(Referral.status, func.count()).where(
            Referral.tenant_id == caller.tenant_id, Referral.referrer_member_id == caller.member_id
        ).group_by(Referral.status)
    ).all())
    return {
        "invite_code": invite.code,
        "invite_url": f"{public_url.rstrip('/')}/c/{invite.community_slug}/join?invite={invite.code}",
        "invited": sum(counts.values()),
        "rewarded": counts.get("rewarded", 0),
    }
