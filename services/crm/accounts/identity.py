"""Who is who: a leader opens a community (开团) with its first account; a login checks a
phone and password (rate limited, ``login_limit``). What the gateway issues a token for is
``identity``."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.crm import events
from services.crm.accounts import login_limit, staff
from services.crm.accounts.models import Account
from services.crm.accounts.passwords import hash_password, verify_password
from services.crm.accounts.schemas import LOGIN_INPUT, SIGNUP_INPUT
from services.crm.community.models import Community
from services.crm.community.schemas import community_view
from services.infra.errors import Conflict, Unauthorized
from services.infra.messaging import emit
from services.infra.schemas import load

DEFAULT_SETTINGS = {"admission": {"mode": "open", "allowed_buildings": []}}


def identity(account, community, member_id=None):
    """What the gateway needs to issue a token, and what the client sees of itself."""
    return {
        "account_id": account.id,
        "tenant_id": community.id,
        "role": account.role,
        "member_id": member_id,
        "display_name": account.display_name,
        "community": community_view(community),
    }


def _slug_taken():
    return Conflict("This community address is taken.", {"errors": {"slug": ["Already taken."]}})


def signup_leader(session, caller, payload):
    """A leader opens a community (开团): the tenant and its first account."""
    data = load(SIGNUP_INPUT, payload)
    password_hash = hash_password(data["password"])
    if session.scalars(select(Community).where(Community.slug == data["slug"])).first():
        raise _slug_taken()
    community = Community(
        slug=data["slug"],
        name=data["community_name"],
        leader_display_name=data["display_name"],
        settings=DEFAULT_SETTINGS,
    )
    session.add(community)
    session.flush()
    account = Account(
        tenant_id=community.id,
        phone=data["phone"],
        password_hash=password_hash,
        role="leader",
        display_name=data["display_name"],
    )
    session.add(account)
    try:
        session.flush()
    except IntegrityError:
        raise _slug_taken() from None
    emit(
        session,
        events.COMMUNITY_CREATED,
        {"community_id": community.id, "slug": community.slug, "name": community.name},
        tenant_id=community.id,
        correlation_id=caller.correlation_id,
    )
    return identity(account, community)


def check_login(session, payload):
    """``(account, community)`` for a phone + password (+ community when the phone has accounts
    in several), rate limited per phone and community (``login_limit``: 429 past the limit).

    Manages its own short transactions: argon2 runs while no connection is held.
    """
    data = load(LOGIN_INPUT, payload)
    statement = (
        select(Account, Community)
        .join(Community, Community.id == Account.tenant_id)
        .where(
            Account.phone == data["phone"],
            Account.status == staff.ACTIVE,  # removed staff: as if unknown
        )
    )
    if data["community"]:
        statement = statement.where(Community.slug == data["community"])
    with session.begin():  # not held while argon2 runs
        candidates = session.execute(statement).all()
    slugs = [data["community"]] if data["community"] else [c.slug for _, c in candidates] + [""]
    attempt = login_limit.begin_attempt(
        session, data["phone"], data["community"], slugs
    )  # 429 past the limit
    matches = [(a, c) for a, c in candidates if verify_password(a.password_hash, data["password"])]
    if not candidates:
        verify_password(None, data["password"])  # same time as a wrong password
    if not matches:
        raise Unauthorized("Wrong phone number or password.")
    login_limit.succeeded(session, attempt)
    if len(matches) > 1:
        raise Conflict(
            "This phone belongs to several communities: say which one.",
            {
                "errors": {"community": ["Required for this phone."]},
                "communities": [c.slug for _, c in matches],
            },
        )
    return matches[0]
