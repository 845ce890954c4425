"""Purchase showcases (晒单): a member tells the neighbours about one of their completed orders.

One showcase per order, by the member whose order it is, once the order is completed. It waits
for the leader: approved, it appears in the community's feed and ``showcase_approved`` goes out
once (crm awards the program's ``showcase_points``); rejected, only its author sees it.

Whether the order is completed: referral's copy of the member's orders (``OrderFact``, from
orders' events) says so at once, and a completed, cancelled or refunded order stays so. But a
member shows an order the moment they have collected it, and the news travels two hops
(fulfilment's ``order_picked_up`` -> orders -> ``order_completed`` -> referral): a copy that
has not heard yet (no row, or ``placed``/``paid``) must not refuse them. Then the owners are
asked, as the member (their answers are scoped to the member's own orders in the community):
orders, and, when orders still has the order on fulfilment's way (paid to ready for pickup:
steps orders learns from fulfilment's events, so it may lag too), fulfilment, which hands it
over. Their answer wins; a "no" is refused as before (409 ``order_not_completed`` with the
owner's ``status_now``, 404 when the member has no such order). The copy is left to the events:
the first ``order_completed`` of an invitee decides the referral (``rewards``), which a write
here would pre-empt.
"""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.infra.db import get_in_community, newest_first, utcnow
from services.infra.errors import Conflict, NotFound, invalid
from services.infra.messaging import emit
from services.infra.privacy import mask_name
from services.infra.schemas import decode_cursor, load, page
from services.referral import events, program
from services.referral.handlers import neighbour_name
from services.referral.models import OrderFact, Showcase
from services.referral.schemas import SHOWCASE_INPUT, SHOWCASE_QUERY


def _view(session, showcase, caller):
    name = neighbour_name(session, showcase.member_id)
    mine = showcase.member_id == caller.member_id
    known = mine or caller.is_staff  # others see a masked author and no ids
    return {
        "id": showcase.id,
        "order_id": showcase.order_id if known else None,
        "member_id": showcase.member_id if known else None,
        "author": name if known else mask_name(name),
        "text": showcase.text,
        "image_url": showcase.image_url,
        "status": showcase.status,
        "points": showcase.points,
        "mine": mine,
        "created_at": showcase.created_at.isoformat(),
        "decided_at": showcase.decided_at.isoformat() if showcase.decided_at else None,
    }


# What referral's copy says for good: no owner is asked about these.
SETTLED = ("completed", "cancelled", "refunded")
# orders' steps that follow fulfilment's events: fulfilment may have handed the order over since.
ON_FULFILMENTS_WAY = ("paid", "packed", "delivering", "ready_for_pickup")


def order_status(session, caller, orders, fulfillment, order_id):
    """The member's order's status, from referral's copy when it is settled, else from its
    owners (see the module's docstring); ``NotFound`` when the member has no such order."""
    fact = session.get(OrderFact, order_id)
    if fact is not None and (fact.tenant_id, fact.member_id) != (
        caller.tenant_id,
        caller.member_id,
    ):
        _not_yours(order_id)  # whose order it is never changes: nobody to ask
    if fact is not None and fact.status in SETTLED:
        return fact.status
    answer = orders.order(order_id)
    if answer is None:
        if fact is None:
            _not_yours(order_id)
        return fact.status
    if answer["status"] in ON_FULFILMENTS_WAY:
        handed = fulfillment.order(order_id)
        if handed is not None and handed["status"] == "picked_up":
            return "completed"  # orders completes it when it hears so: it has been collected
    return answer["status"]


def _not_yours(order_id):
    raise NotFound("No such order of yours.", {"order_id": order_id})


def create_showcase(session, caller, orders, fulfillment, payload):
    caller.require_member()
    data = load(SHOWCASE_INPUT, payload)
    if not data["text"].strip():
        raise invalid({"text": ["Say something about the order."]})
    order_id = data["order_id"]
    status = order_status(session, caller, orders, fulfillment, order_id)
    if status != "completed":
        raise Conflict(
            "Only a completed order can be shown.",
            {"reason": "order_not_completed", "status_now": status},
        )
    exists = session.scalars(
        select(Showcase).where(
            Showcase.tenant_id == caller.tenant_id, Showcase.order_id == order_id
        )
    ).first()
    if exists is not None:
        raise Conflict(
            "This order already has a showcase.",
            {"reason": "showcase_exists", "showcase_id": exists.id},
        )
    showcase = Showcase(
        tenant_id=caller.tenant_id,
        member_id=caller.member_id,
        order_id=order_id,
        text=data["text"].strip(),
        image_url=data["image_url"],
        status="pending",
        created_at=utcnow(),
    )
    session.add(showcase)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # the same order showcased twice at once: the other one won
        raise Conflict(
            "This order already has a showcase.", {"reason": "showcase_exists"}
        ) from None
    return _view(session, showcase, caller)


def list_showcases(session, caller, query):
    """Members: the community's approved showcases and their own (any status). Staff: all, or
    those of ``status``."""
    caller.require_tenant()
    params = load(SHOWCASE_QUERY, query)
    statement = select(Showcase).where(Showcase.tenant_id == caller.tenant_id)
    if not caller.is_staff:
        statement = statement.where(
            (Showcase.status == "approved") | (Showcase.member_id == caller.member_scope)
        )
    if params["status"]:
        statement = statement.where(Showcase.status == params["status"])
    statement = newest_first(statement, Showcase, decode_cursor(params["cursor"]), params["limit"])
    return page(
        [_view(session, row, caller) for row in session.scalars(statement)], params["limit"]
    )


def _decidable(session, caller, showcase_id):
    caller.require_leader("Only the leader decides on showcases.")
    return get_in_community(
        session,
        Showcase,
        showcase_id,
        caller.tenant_id,
        "No such showcase.",
        "showcase_id",
        with_for_update=True,
    )


def approve_showcase(session, caller, showcase_id):
    """Approve once: the points of the program go out with ``showcase_approved``; approving
    again answers the same and sends nothing."""
    showcase = _decidable(session, caller, showcase_id)
    if showcase.status == "approved":
        return _view(session, showcase, caller)
    if showcase.status != "pending":
        raise Conflict(
            "This showcase was rejected.", {"reason": "wrong_state", "status_now": showcase.status}
        )
    showcase.status, showcase.decided_at = "approved", utcnow()
    showcase.decided_by = f"{caller.role}:{caller.account_id}"
    showcase.points = program.for_tenant(session, caller.tenant_id)["showcase_points"]
    emit(
        session,
        events.SHOWCASE_APPROVED,
        {
            "showcase_id": showcase.id,
            "member_id": showcase.member_id,
            "order_id": showcase.order_id,
            "points": showcase.points,
        },
        tenant_id=caller.tenant_id,
        correlation_id=caller.correlation_id,
    )
    session.flush()
    return _view(session, showcase, caller)


def reject_showcase(session, caller, showcase_id):
    showcase = _decidable(session, caller, showcase_id)
    if showcase.status == "rejected":
        return _view(session, showcase, caller)
    if showcase.status != "pending":
        raise Conflict(
            "This showcase is already approved.",
            {"reason": "wrong_state", "status_now": showcase.status},
        )
    showcase.status, showcase.decided_at = "rejected", utcnow()
    showcase.decided_by = f"{caller.role}:{caller.account_id}"
    session.flush()
    return _view(session, showcase, caller)
