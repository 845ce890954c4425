"""The leader's staff (团长助理): helpers at the pickup desk who verify pickup codes, move orders
and answer members, but decide neither money nor rules (``Caller.require_leader`` keeps those).

Only the leader adds and removes them. Removing keeps the account (other services record
``staff:<account id>`` as who verified a pickup or decided a case) but marks it ``removed``: it
can no longer log in, and every token issued before ``removed_at`` is refused, because the
gateway asks ``confirm_staff_access`` before serving a staff token (tokens are stateless JWTs,
so the account is where their validity can be withdrawn). Adding the same phone again brings
the account back with the new password and name; its old tokens stay refused.
"""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.crm.accounts.models import Account
from services.crm.accounts.passwords import hash_password
from services.crm.accounts.schemas import STAFF_INPUT, staff_view
from services.infra.db import get_in_community, utcnow
from services.infra.errors import Conflict, NotFound, Unauthorized
from services.infra.schemas import load

ACTIVE, REMOVED = "active", "removed"
LEADER_ONLY = "Only the community's leader manages staff."
NO_SUCH_STAFF = "No such staff account."


def _phone_taken():
    return Conflict(
        "This phone number already has an account in this community.",
        {"reason": "phone_taken", "errors": {"phone": ["Already used in this community."]}},
    )


def add_staff(session, caller, payload):
    """A staff account in the leader's community; 409 ``phone_taken`` if the phone already
    belongs to someone here (the leader, a member, or active staff)."""
    tenant_id = caller.require_leader(LEADER_ONLY).tenant_id
    data = load(STAFF_INPUT, payload)
    password_hash = hash_password(
        data["password"]
    )  # before any query: no connection held meanwhile
    account = session.scalars(
        select(Account).where(Account.tenant_id == tenant_id, Account.phone == data["phone"])
    ).first()
    if account is None:
        account = Account(tenant_id=tenant_id, phone=data["phone"], role="staff")
        session.add(account)
    elif account.role != "staff" or account.status != REMOVED:
        raise _phone_taken()
    # A returning helper keeps their account id (so what they did before stays theirs); the
    # tokens of their earlier time stay refused by ``removed_at``.
    account.password_hash, account.display_name, account.status = (
        password_hash,
        data["display_name"],
        ACTIVE,
    )
    try:
        session.flush()
    except IntegrityError:  # the same phone added at the same moment
        raise _phone_taken() from None
    return staff_view(account)


def list_staff(session, caller):
    """The community's active staff, oldest first (a handful: not paginated)."""
    tenant_id = caller.require_leader(LEADER_ONLY).tenant_id
    statement = (
        select(Account)
        .where(Account.tenant_id == tenant_id, Account.role == "staff", Account.status == ACTIVE)
        .order_by(Account.created_at, Account.id)
    )
    return {"items": [staff_view(account) for account in session.scalars(statement)]}


def remove_staff(session, caller, account_id):
    """Withdraw a helper's access: no more logins, no more requests with the tokens they hold.

    404 for an id that is not active staff of this community, also when removed already: a
    second removal finds no staff to remove (the leader's list no longer shows them)."""
    tenant_id = caller.require_leader(LEADER_ONLY).tenant_id
    account = get_in_community(session, Account, account_id, tenant_id, NO_SUCH_STAFF, "account_id")
    if (
        account.role != "staff" or account.status != ACTIVE
    ):  # the leader, a member: not staff to remove
        raise NotFound(NO_SUCH_STAFF, {"account_id": account_id})
    account.status, account.removed_at = REMOVED, utcnow()
    session.flush()
    return {"id": account.id, "deleted": True}


def has_access(account, caller):
    """Whether ``account`` may still act with the token ``caller`` came with: an account of the
    caller's community in the caller's role, active, and for staff a token issued after the
    account was last removed (``iat`` has whole seconds: a token of the same second as the
    removal is refused, the safe side)."""
    if account is None or account.tenant_id != caller.tenant_id or account.role != caller.role:
        return False
    if account.status != ACTIVE:
        return False
    if account.removed_at is None:
        return True
    issued_at = caller.issued_at
    return (
        isinstance(issued_at, int)
        and not isinstance(issued_at, bool)
        and issued_at > account.removed_at.timestamp()
    )


def confirm_staff_access(session, caller):
    """The gateway asks before serving a staff token: 401 once the leader removed the account."""
    caller.require_staff()
    account = (
        session.get(Account, caller.account_id) if isinstance(caller.account_id, str) else None
    )
    if not has_access(account, caller):
        raise Unauthorized(
            "Your access to this community was removed by its leader.", {"reason": "access_removed"}
        )
    return {"account_id": account.id, "role": account.role}
