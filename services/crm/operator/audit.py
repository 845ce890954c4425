"""The operator's login (from configuration) and the audit trail of everything they do."""

from sqlalchemy import select

from services.crm.accounts import login_limit
from services.crm.accounts.passwords import verify_password
from services.crm.operator.models import OperatorAudit
from services.crm.operator.schemas import AUDIT_ENTRY_INPUT, AUDIT_QUERY, LOGIN_INPUT
from services.infra.db import newest_first
from services.infra.errors import DomainError, Forbidden, Unauthorized
from services.infra.schemas import decode_cursor, load, page

OPERATOR_ACCOUNT = "operator"
# The login_limit "community" of the operator's attempts: no slug can look like it.
LOGIN_SLOT = "(operator)"


def require_operator(caller):
    """Only an operator token (role ``operator``, no community) passes; a leader never does."""
    if caller.role != "operator" or caller.tenant_id:
        raise Forbidden("Only the platform operator may do this.")
    return caller


def operator_login(session, config, payload):
    """The operator's identity for a right phone + password, both from configuration
    (``OPERATOR_PHONE``, ``OPERATOR_PASSWORD_HASH``: an argon2 hash); rate limited like a
    member's login. Manages its own transactions; every attempt is audited."""
    data = load(LOGIN_INPUT, payload)
    # str(): nameko's config reads an unquoted phone from the environment as a number
    phone, password_hash = (
        str(config.get("OPERATOR_PHONE") or ""),
        str(config.get("OPERATOR_PASSWORD_HASH") or ""),
    )
    target = masked(data["phone"])
    try:
        attempt = login_limit.begin_attempt(session, data["phone"], LOGIN_SLOT, [LOGIN_SLOT])
    except DomainError:
        _record_apart(session, target, "login", target, "refused", {"reason": "login_rate_limited"})
        raise
    known = bool(phone and password_hash and data["phone"] == phone)
    if not verify_password(password_hash if known else None, data["password"]) or not known:
        _record_apart(session, target, "login", target, "refused", {"reason": "wrong_credentials"})
        raise Unauthorized("Wrong phone number or password.")
    login_limit.succeeded(session, attempt)
    _record_apart(session, OPERATOR_ACCOUNT, "login", target, "ok", {})
    return {
        "account_id": OPERATOR_ACCOUNT,
        "tenant_id": None,
        "role": "operator",
        "community": None,
    }


def masked(phone):
    """A phone as the audit keeps it: never in full."""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "****"


def record(session, actor, action, target, outcome, details=None):
    session.add(
        OperatorAudit(
            actor=actor, action=action, target=target, outcome=outcome, details=details or {}
        )
    )


def _record_apart(session, *args):
    """A refusal's record, in a transaction of its own: the refused change's rolls back."""
    with session.begin():
        record(session, *args)


def record_action(session, caller, payload):
    """The gateway records an action it did on another service (replay, discard)."""
    require_operator(caller)
    data = load(AUDIT_ENTRY_INPUT, payload)
    record(
        session, caller.account_id, data["action"], data["target"], data["outcome"], data["details"]
    )
    return {"recorded": True}


def audited(session, caller, action, target, work):
    """``work()`` in the caller's transaction with its audit entry; a refusal is audited too
    (in a transaction of its own, after the refused one rolled back) and raised again."""
    require_operator(caller)
    try:
        with session.begin():
            result = work()
            record(session, caller.account_id, action, target, "ok", {})
    except DomainError as exc:
        _record_apart(
            session,
            caller.account_id,
            action,
            target,
            "refused",
            {"status": exc.status, "detail": exc.detail},
        )
        raise
    return result


def list_audit(session, caller, query):
    require_operator(caller)
    args = load(AUDIT_QUERY, query)
    statement = select(OperatorAudit)
    if args["action"]:
        statement = statement.where(OperatorAudit.action == args["action"])
    statement = newest_first(statement, OperatorAudit, decode_cursor(args["cursor"]), args["limit"])
    items = [
        {
            "id": row.id,
            "actor": row.actor,
            "action": row.action,
            "target": row.target,
            "outcome": row.outcome,
            "details": row.details,
            "created_at": row.created_at.isoformat(),
        }
        for row in session.scalars(statement)
    ]
    return page(items, args["limit"])
