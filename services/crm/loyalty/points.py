"""The member's points as they see them, and the leader's corrections by hand (积分)."""

from sqlalchemy import select

from services.crm.loyalty import ledger
from services.crm.loyalty.models import PointsEntry
from services.crm.loyalty.schemas import ADJUST_INPUT, LEDGER_QUERY
from services.crm.members.models import Member
from services.infra.db import get_in_community, newest_first
from services.infra.errors import Conflict
from services.infra.schemas import decode_cursor, load, page


def _entry_view(entry):
    return {
        "id": entry.id,
        "delta": entry.delta,
        "kind": entry.kind,
        "order_id": entry.order_id,
        "reason": entry.reason,
        "created_at": entry.created_at.isoformat(),
    }


def my_points(session, caller, query):
    """The member's balance, what unpaid orders hold, and the ledger, newest first."""
    caller.require_member()
    params = load(LEDGER_QUERY, query)
    statement = select(PointsEntry).where(
        PointsEntry.tenant_id == caller.tenant_id, PointsEntry.member_id == caller.member_id
    )
    statement = newest_first(
        statement, PointsEntry, decode_cursor(params["cursor"]), params["limit"]
    )
    entries = page([_entry_view(entry) for entry in session.scalars(statement)], params["limit"])
    return {
        "balance": ledger.balance(session, caller.tenant_id, caller.member_id),
        "held": ledger.held(session, caller.tenant_id, caller.member_id),
        **entries,
    }


def adjust_points(session, caller, member_id, payload):
    """The leader adds or takes away points by hand (a goodwill gesture, a correction), with a
    reason the member sees. Never below a zero balance."""
    caller.require_staff()
    data = load(ADJUST_INPUT, payload)
    get_in_community(
        session,
        Member,
        member_id,
        caller.tenant_id,
        "No such member.",
        "member_id",
        with_for_update=True,
    )  # one member's points take turns
    available = ledger.balance(session, caller.tenant_id, member_id)
    if available + data["delta"] < 0:
        raise Conflict(
            "That would take the balance below zero.",
            {
                "reason": "points_insufficient",
                "balance": available,
                "errors": {"delta": [f"At least {-available}."]},
            },
        )
    ledger.adjust(session, caller.tenant_id, member_id, data["delta"], data["reason"])
    session.flush()
    return {"member_id": member_id, "balance": available + data["delta"]}
