"""Referral use cases: invite codes, who invited whom, and what the leader sees of it.

A member's invite code is made when referral hears crm's ``member_joined``. A member who opens
the invite page (or a poster) the moment after joining, before that event has arrived, is not
told to wait: crm is asked who they are (``get_me``, as the member) and their code is made from
the answer, exactly as the event would make it (the event, when it comes, finds the code and
records only who invited them, which ``get_me`` does not say).
"""

import secrets

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from services.infra.db import newest_first
from services.infra.errors import NotFound, invalid
from services.infra.messaging import inbox_consumer
from services.infra.periods import DEFAULT_TIMEZONE
from services.infra.privacy import UNKNOWN_NEIGHBOUR
from services.infra.schemas import decode_cursor, load, page
from services.referral import events
from services.referral.models import CommunityCard, InviteCode, Neighbour, Referral
from services.referral.schemas import REFERRAL_QUERY

MEMBER_JOINED = events.MemberJoinedData()
COMMUNITY_CREATED = events.CommunityCreatedData()
# No 0/O, 1/I/L: a neighbour may read the code aloud or type it from a poster.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8


def new_code():
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


@inbox_consumer("services.referral.handlers:record_community_created")
def record_community_created(session, event):
    """``crm.community_created`` -> the community's name and clock, for posters and leaderboards."""
    data = load(COMMUNITY_CREATED, event["data"])
    card = session.get(CommunityCard, event["tenant_id"] or data["community_id"])
    if card is None:
        card = CommunityCard(tenant_id=event["tenant_id"] or data["community_id"])
        session.add(card)
    card.slug, card.name = data["slug"], data["name"]
    card.timezone = data["timezone"] or card.timezone or DEFAULT_TIMEZONE


@inbox_consumer("services.referral.handlers:record_member_joined")
def record_member_joined(session, event):
    """``crm.member_joined`` -> the member's own invite code, who invited them, and the member's
    name and household (for posters, the leaderboard and the fairness rules)."""
    data = load(MEMBER_JOINED, event["data"])
    tenant_id = event["tenant_id"]
    _record_member(session, tenant_id, data)
    if data["invite_code"] and session.get(Referral, data["member_id"]) is None:
        owner = session.scalars(
            select(InviteCode).where(
                InviteCode.code == data["invite_code"].upper(), InviteCode.tenant_id == tenant_id
            )
        ).first()
        if owner is not None and owner.member_id != data["member_id"]:
            session.add(
                Referral(
                    invitee_member_id=data["member_id"],
                    tenant_id=tenant_id,
                    referrer_member_id=owner.member_id,
                    code=owner.code,
                    status="joined",
                )
            )


def _record_member(session, tenant_id, data):
    """The member's name and household, and their own invite code, unless referral has them."""
    if session.get(Neighbour, data["member_id"]) is None:
        session.add(
            Neighbour(
                member_id=data["member_id"],
                tenant_id=tenant_id,
                name=data["name"][:40],
                building=data["building"][:20],
                unit=data["unit"][:20],
            )
        )
    if session.get(InviteCode, data["member_id"]) is None:
        session.add(
            InviteCode(
                member_id=data["member_id"],
                tenant_id=tenant_id,
                community_slug=data["community_slug"],
                code=_unused_code(session),
            )
        )


def _unused_code(session):
    while True:
        code = new_code()
        if session.scalars(select(InviteCode).where(InviteCode.code == code)).first() is None:
            return code


def check_invite_code(session, slug, code):
    """Before a resident joins with a code: is it a member's code of *this* community? An
    unknown code and one of another community answer the same 422 (nothing is revealed)."""
    owner = None
    if isinstance(code, str) and isinstance(slug, str) and 4 <= len(code) <= 16:
        owner = session.scalars(select(InviteCode).where(InviteCode.code == code.upper())).first()
    if owner is None or owner.community_slug != slug:
        raise invalid(
            {"invite_code": ["这个邀请码不存在 (unknown invite code)."]}, "Unknown invite code."
        )
    return {"valid": True}


def invite_url(public_url, slug, code):
    return f"{public_url.rstrip('/')}/c/{slug}/join?invite={code}"


def my_invite(session, caller, crm):
    """The calling member's invite code; made from crm's answer if referral has not heard of
    the member yet (see the module's docstring)."""
    caller.require_member()
    invite = session.get(InviteCode, caller.member_id)
    if invite is None:
        invite = _invite_from_crm(session, caller, crm)
    if invite is None or invite.tenant_id != caller.tenant_id:
        raise NotFound("Your invite code is being prepared; try again in a moment.")
    return invite


def _invite_from_crm(session, caller, crm):
    me = crm.me()
    member = (me or {}).get("member")
    if member is None or member.get("id") != caller.member_id:
        return None
    data = {
        "member_id": member["id"],
        "community_slug": me["community"]["slug"],
        "name": member.get("name") or "",
        "building": member.get("building") or "",
        "unit": member.get("unit") or "",
    }
    try:
        with session.begin_nested():  # the event, or a second tab, may make it at the same moment
            _record_member(session, caller.tenant_id, data)
            session.flush()
    except IntegrityError:
        pass
    return session.get(InviteCode, caller.member_id)


def get_my_referral(session, caller, crm, public_url):
    invite = my_invite(session, caller, crm)
    counts = dict(
        session.execute(
            select(Referral.status, func.count())
            .where(
                Referral.tenant_id == caller.tenant_id,
                Referral.referrer_member_id == caller.member_id,
            )
            .group_by(Referral.status)
        ).all()
    )
    return {
        "invite_code": invite.code,
        "invite_url": invite_url(public_url, invite.community_slug, invite.code),
        "invited": sum(counts.values()),
        "rewarded": counts.get("rewarded", 0),
    }


def neighbour_name(session, member_id):
    """The member's name as referral heard it from crm (邻居 when it never did)."""
    neighbour = session.get(Neighbour, member_id)
    return neighbour.name if neighbour is not None and neighbour.name else UNKNOWN_NEIGHBOUR


def list_referrals(session, caller, query):
    """The leader's view: every invitation, its outcome and the reason of a refusal, newest
    first."""
    caller.require_staff()
    params = load(REFERRAL_QUERY, query)
    statement = select(Referral).where(Referral.tenant_id == caller.tenant_id)
    if params["status"]:
        statement = statement.where(Referral.status == params["status"])
    statement = newest_first(
        statement,
        Referral,
        decode_cursor(params["cursor"]),
        params["limit"],
        key=Referral.invitee_member_id,
    )
    items = [
        {
            "id": row.invitee_member_id,
            "referrer_id": row.referrer_member_id,
            "referrer_name": neighbour_name(session, row.referrer_member_id),
            "invitee_id": row.invitee_member_id,
            "invitee_name": neighbour_name(session, row.invitee_member_id),
            "status": row.status,
            "reason": row.reason,
            "first_order_id": row.first_order_id,
            "first_order_cents": row.first_order_cents,
            "referrer_reward_cents": row.referrer_reward_cents,
            "invitee_reward_cents": row.invitee_reward_cents,
            "rewarded_at": row.rewarded_at.isoformat() if row.rewarded_at else None,
            "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
            "created_at": row.created_at.isoformat(),
        }
        for row in session.scalars(statement)
    ]
    return page(items, params["limit"])


# --- share posters (一键分享海报): what goes on them; ``posters`` draws ------------------------


def _community_name(session, invite):
    card = session.get(CommunityCard, invite.tenant_id)
    return card.name if card is not None else invite.community_slug


def invite_poster_facts(session, caller, crm, public_url, invitee_reward_cents):
    """The invite poster's content for the calling member."""
    invite = my_invite(session, caller, crm)
    return {
        "community_name": _community_name(session, invite),
        "nickname": neighbour_name(session, caller.member_id),
        "invite_url": invite_url(public_url, invite.community_slug, invite.code),
        "code": invite.code,
        "rewards_cents": invitee_reward_cents,
    }


def product_poster_facts(session, caller, crm, public_url, product):
    """The product poster's content: ``product`` as catalog answered it (the caller's community,
    on sale), linked with the sharer's code."""
    invite = my_invite(session, caller, crm)
    url = (
        f"{public_url.rstrip('/')}/c/{invite.community_slug}/products/{product['id']}"
        f"?invite={invite.code}"
    )
    return {
        "community_name": _community_name(session, invite),
        "product": product,
        "product_url": url,
        "sharer": neighbour_name(session, caller.member_id),
    }
