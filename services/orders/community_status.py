"""Suspended communities, as orders heard of them from crm: their members cannot order.

crm owns a community's status (the platform operator suspends and resumes it) and announces
each change (``crm.community_suspended`` / ``crm.community_resumed``). Orders keeps a small copy,
and by the house rule "never refuse because a copy is behind" it refuses only on a suspension it
has heard: an unknown community is active. The two events travel on separate queues, so each
change applies only if it is newer (crm's ``at``) than the one the copy holds.
"""

from sqlalchemy import select

from services.infra.errors import Conflict
from services.infra.messaging import inbox_consumer
from services.infra.schemas import load
from services.orders import events
from services.orders.models import CommunityStatus

STATUS_CHANGED = events.CommunityStatusChangedData()


def _apply(session, event, suspended):
    data = load(STATUS_CHANGED, event["data"])
    if data["community_id"] != event["tenant_id"]:
        return  # not this community's own event: nothing to trust
    row = session.get(CommunityStatus, event["tenant_id"])
    if row is None:
        session.add(
            CommunityStatus(
                tenant_id=event["tenant_id"],
                suspended=suspended,
                reason=data["reason"] if suspended else None,
                changed_at=data["at"],
            )
        )
    elif row.changed_at < data["at"]:
        row.suspended, row.reason, row.changed_at = (
            suspended,
            data["reason"] if suspended else None,
            data["at"],
        )


@inbox_consumer("services.orders.community_status:record_suspended")
def record_suspended(session, event):
    _apply(session, event, True)


@inbox_consumer("services.orders.community_status:record_resumed")
def record_resumed(session, event):
    _apply(session, event, False)


def suspended_among(session, tenant_ids):
    """``{tenant_id: reason}`` of the communities among ``tenant_ids`` orders heard suspended.
    A read in a transaction of its own: ``place_orders`` owns its transactions, one per step."""
    if not tenant_ids:
        return {}
    with session.begin():
        rows = session.execute(
            select(CommunityStatus.tenant_id, CommunityStatus.reason).where(
                CommunityStatus.tenant_id.in_(sorted(tenant_ids)),
                CommunityStatus.suspended.is_(True),
            )
        ).all()
    return dict(rows)


def check_active(suspended, tenant_id):
    if tenant_id in suspended:
        raise Conflict(
            "This community is suspended by the platform: ordering is paused.",
            {"reason": "community_suspended", "suspended_reason": suspended[tenant_id]},
        )
