"""crm's use cases that span its parts: who a caller is (a login, ``/me``), the leader's card
of one member, the events that feed the purchase and product read models (and through them
tags, predictions, reminders and tiers), the pickup notices, and the daily tag refresh.

The event consumers here keep their names: the inbox persists each as
``services.crm.handlers:<name>`` (its id in inbox and parked-event rows).
"""

import logging
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import select

from services.crm import events, loyalty
from services.crm.accounts import identity, staff
from services.crm.accounts.models import Account
from services.crm.community import claims
from services.crm.community.models import Community
from services.crm.community.schemas import community_view
from services.crm.engagement import prediction, reminders
from services.crm.members import profiles
from services.crm.members import tags as tagging
from services.crm.members.models import Member, ProductInfo, Purchase
from services.crm.members.schemas import member_card
from services.crm.notifications import delivery, inbox
from services.infra.db import utcnow
from services.infra.errors import Unauthorized
from services.infra.messaging import inbox_consumer
from services.infra.schemas import load

log = logging.getLogger(__name__)

ORDER_STATUS = events.OrderStatusData()
READY_FOR_PICKUP = events.ReadyForPickupData()
PICKUP_OVERDUE = events.PickupOverdueData()
PRODUCT_DATA = events.ProductData()
TAGS_JOB = "refresh_tags"
TAGS_PERIOD = timedelta(days=1)


# --- who is who ------------------------------------------------------------------------------


def authenticate(session, payload):
    """A login (``accounts.identity.check_login``), answered with the member the account is.
    Manages its own short transactions: argon2 runs while no connection is held."""
    account, community = identity.check_login(session, payload)
    with session.begin():
        member_id = session.scalar(select(Member.id).where(Member.account_id == account.id))
    return identity.identity(account, community, member_id)


def get_me(session, caller):
    tenant_id = caller.require_tenant()
    account = session.get(Account, caller.account_id) if caller.account_id else None
    if not staff.has_access(account, caller):
        raise Unauthorized("This account no longer exists.")
    community = session.get(Community, tenant_id)
    me = {
        "role": account.role,
        "account": {"id": account.id, "display_name": account.display_name, "phone": account.phone},
        "community": community_view(community),
        "member": None,
    }
    member = session.scalars(select(Member).where(Member.account_id == account.id)).first()
    if member is not None:
        me["member"] = {
            **member_card(member),
            **loyalty.member_summary(session, tenant_id, member.id),
            "order_stats": profiles.order_stats(session, tenant_id, member.id),
            "reminders_opt_out": bool(member.reminders_opt_out),
        }
    return me


def get_member(session, caller, member_id):
    """Everything the leader knows of one member: profile, tags (manual and automatic), points,
    tier, order stats, repurchase predictions (智能预测, ``engagement.prediction``)."""
    details = profiles.member_details(session, caller, member_id)
    return {
        **details,
        **loyalty.member_summary(session, caller.tenant_id, details["id"]),
        "repurchase_predictions": prediction.member_predictions(
            session, caller.tenant_id, details["id"]
        ),
    }


def update_member(session, caller, member_id, payload):
    """The leader tags a member and keeps a private note; the answer is the member's card."""
    return get_member(session, caller, profiles.update_member(session, caller, member_id, payload))


# --- the purchase and product read models ----------------------------------------------------


def _purchase(session, event, data):
    """The member's purchase history (idempotent via the inbox) begins with the first event of
    an order crm hears of: paid, cancelled or refunded (each type has its own queue, so any may
    come first). An unpaid order is not a purchase yet: crm does not listen to ``order_placed``.
    ``None`` for an order id of another community: not ours to touch."""
    purchase = session.get(Purchase, data["order_id"])
    if purchase is None:
        purchase = Purchase(
            order_id=data["order_id"],
            tenant_id=event["tenant_id"],
            member_id=data["member_id"],
            status="paid",
            total_cents=data["total_cents"],
            lines=event["data"]["lines"],
            placed_at=data["placed_at"] or event["occurred_at"],
        )
        session.add(purchase)
    return purchase if purchase.tenant_id == event["tenant_id"] else None


def _record_status(session, event, data, status):
    purchase = _purchase(session, event, data)
    if purchase is None or (status == "paid" and purchase.status in ("cancelled", "refunded")):
        return  # another community's; or a late order_paid, which does not revive a cancelled order
    purchase.status = status
    session.flush()
    tagging.refresh_member(session, event["tenant_id"], data["member_id"])
    prediction.refresh_member(session, event["tenant_id"], data["member_id"])
    if status == "paid":
        reminders.record_conversion(session, purchase)


@contextmanager
def _spend_changes(session, event):
    """The order event's validated data; orders hears of it when what happens inside moves the
    member to another tier discount."""
    data = load(ORDER_STATUS, event["data"])
    tenant_id, member_id = event["tenant_id"], data["member_id"]
    before = loyalty.member_tier(session, tenant_id, member_id)["discount_percent"]
    yield data
    session.flush()
    loyalty.announce_terms_change(session, tenant_id, member_id, before)


@inbox_consumer("services.crm.handlers:record_order_paid")
def record_order_paid(session, event):
    with _spend_changes(session, event) as data:
        _record_status(session, event, data, "paid")


@inbox_consumer("services.crm.handlers:record_order_cancelled")
def record_order_cancelled(session, event):
    with _spend_changes(session, event) as data:
        _record_status(session, event, data, "cancelled")


@inbox_consumer("services.crm.handlers:record_order_refunded")
def record_order_refunded(session, event):
    """A whole refund takes the order out of the member's history; a partial one keeps it, and
    what was given back no longer counts as spend (tiers)."""
    with _spend_changes(session, event) as data:
        if event["data"].get("whole") is True:
            _record_status(session, event, data, "refunded")
        purchase = _purchase(session, event, data)
        refunded = event["data"].get("refunded_total_cents")
        if purchase is not None and isinstance(refunded, int) and not isinstance(refunded, bool):
            purchase.refunded_cents = min(
                max(purchase.refunded_cents or 0, refunded), purchase.total_cents
            )


@inbox_consumer("services.crm.handlers:record_product")
def record_product(session, event):
    """``catalog.product_created|product_updated`` -> the product read model tags need."""
    data = load(PRODUCT_DATA, event["data"])
    product = session.get(ProductInfo, data["product_id"])
    if product is None:
        product = ProductInfo(product_id=data["product_id"], tenant_id=event["tenant_id"])
        session.add(product)
    elif product.tenant_id != event["tenant_id"]:
        return
    product.name, product.category, product.tags = (
        data["name"][:80],
        data["category"],
        list(data["tags"] or []),
    )
    if data["price_cents"] is not None:
        product.price_cents = data["price_cents"]
    for field in ("in_stock", "on_sale"):
        if data[field] is not None:
            setattr(product, field, data[field])
        elif getattr(product, field) is None:
            setattr(product, field, True)


# --- the daily refresh -----------------------------------------------------------------------


def refresh_community_tags(session, tenant_id, now=None):
    """One community's automatic tags and repurchase predictions: lifecycle moves with time
    alone, product names and categories may have changed. The paid purchases are read once
    for both."""
    by_member = prediction.paid_purchases(session, tenant_id)
    tagging.refresh_community(session, tenant_id, now, by_member)
    prediction.refresh_community(session, tenant_id, by_member)


def refresh_tags(Session, now=None):
    """The timer's work, in every crm process: each community whose refresh is due, claimed
    (``community.claims``) and refreshed in its own transaction, so each community is refreshed
    once a day whatever the number of processes. A community that fails rolls back (its claim
    too) and is tried at the next tick. ``Session`` is a session used for one transaction at a
    time. Returns the communities this call refreshed."""
    now = now or utcnow()
    with Session.begin():
        tenant_ids = list(Session.scalars(select(Community.id).order_by(Community.id)))
    refreshed = []
    for tenant_id in tenant_ids:
        try:
            with Session.begin():
                if not claims.claim(Session, TAGS_JOB, tenant_id, now, TAGS_PERIOD):
                    continue
                refresh_community_tags(Session, tenant_id, now)
        except Exception:  # one community's failure must not keep the others stale
            log.exception("refreshing the tags of community %s failed", tenant_id)
            continue
        refreshed.append(tenant_id)
    return refreshed


# --- pickup notices --------------------------------------------------------------------------


@inbox_consumer("services.crm.handlers:notify_pickup_ready")
def notify_pickup_ready(session, event):
    """``fulfillment.order_ready_for_pickup`` -> a pickup notice in the member's inbox, once."""
    data = load(READY_FOR_PICKUP, event["data"])
    pickup = data["pickup"]
    params = {
        "order_id": data["order_id"],
        "code": pickup["code"],
        "point": pickup["point"],
        "at": pickup["at"].isoformat(),
    }
    if (
        inbox.post(
            session,
            event["tenant_id"],
            data["member_id"],
            "pickup_ready",
            params,
            f"pickup_ready:{data['order_id']}",
        )
        is None
    ):
        return
    # Outside the app: the batch's notice to the community's channels (one per point and
    # time), and this member's own notice by e-mail if they gave one.
    delivery.announce_pickup(
        session, event["tenant_id"], pickup["point"], params["at"], data["order_id"]
    )
    delivery.notify_member(
        session, _member(session, event["tenant_id"], data["member_id"]), "pickup_ready", params
    )


@inbox_consumer("services.crm.handlers:remind_pickup")
def remind_pickup(session, event):
    """``fulfillment.order_pickup_overdue`` -> one pickup reminder (取货提醒) in the inbox."""
    data = load(PICKUP_OVERDUE, event["data"])
    params = {
        "order_id": data["order_id"],
        "code": data["pickup_code"],
        "point": data["pickup_point"],
        "items": [{"name": item["name"], "quantity": item["quantity"]} for item in data["items"]],
    }
    if (
        inbox.post(
            session,
            event["tenant_id"],
            data["member_id"],
            "pickup_reminder",
            params,
            f"pickup_reminder:{data['order_id']}",
        )
        is not None
    ):
        delivery.notify_member(
            session,
            _member(session, event["tenant_id"], data["member_id"]),
            "pickup_reminder",
            params,
        )


def _member(session, tenant_id, member_id):
    member = session.get(Member, member_id) if isinstance(member_id, str) else None
    return member if member is not None and member.tenant_id == tenant_id else None
