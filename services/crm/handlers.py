"""CRM use cases: communities, accounts, members, and the purchase read model."""

from contextlib import contextmanager

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from services.crm import (
    events,
    login_limit,
    loyalty,
    members,
    messages,
    notify,
    prediction,
    reminders,
    settings,
    staff,
)
from services.crm import tags as tagging
from services.crm.models import Account, Community, InboxMessage, Member, ProductInfo, Purchase
from services.crm.passwords import hash_password, verify_password
from services.crm.schemas import (
    COMMUNITY,
    MEMBER,
    CommunityCard,
    JoinInput,
    LeaderSignupInput,
    LoginInput,
)
from services.infra.db import newest_first
from services.infra.errors import Conflict, NotFound, Unauthorized
from services.infra.messaging import emit, inbox_consumer
from services.infra.schemas import PageSchema, decode_cursor, load, page

SIGNUP_INPUT = LeaderSignupInput()
LOGIN_INPUT = LoginInput()
JOIN_INPUT = JoinInput()
CARD = CommunityCard()
ORDER_STATUS = events.OrderStatusData()
READY_FOR_PICKUP = events.ReadyForPickupData()
PICKUP_OVERDUE = events.PickupOverdueData()
PRODUCT_DATA = events.ProductData()
INBOX_QUERY = PageSchema()

DEFAULT_SETTINGS = {"admission": {"mode": "open", "allowed_buildings": []}}


def _identity(account, community, member=None):
    """What the gateway needs to issue a token, and what the client sees of itself."""
    return {
        "account_id": account.id,
        "tenant_id": community.id,
        "role": account.role,
        "member_id": member.id if member else None,
        "display_name": account.display_name,
        "community": COMMUNITY.dump(community),
    }


def signup_leader(session, caller, payload):
    """A leader opens a community (开团): the tenant and its first account."""
    data = load(SIGNUP_INPUT, payload)
    password_hash = hash_password(data["password"])
    if session.scalars(select(Community).where(Community.slug == data["slug"])).first():
        raise Conflict("This community address is taken.", {"errors": {"slug": ["Already taken."]}})
    community = Community(slug=data["slug"], name=data["community_name"],
                          leader_display_name=data["display_name"], settings=DEFAULT_SETTINGS)
    session.add(community)
    session.flush()
    account = Account(tenant_id=community.id, phone=data["phone"], password_hash=password_hash,
                      role="leader", display_name=data["display_name"])
    session.add(account)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("This community address is taken.", {"errors": {"slug": ["Already taken."]}}) from None
    emit(session, events.COMMUNITY_CREATED,
         {"community_id": community.id, "slug": community.slug, "name": community.name},
         tenant_id=community.id, correlation_id=caller.correlation_id)
    return _identity(account, community)


def authenticate(session, payload):
    """Phone + password (+ community when the phone has accounts in several), rate limited
    per phone and community (``login_limit``: 429 past the limit).

    Manages its own short transactions: argon2 runs while no connection is held.
    """
    data = load(LOGIN_INPUT, payload)
    statement = select(Account, Community).join(Community, Community.id == Account.tenant_id).where(
        Account.phone == data["phone"], Account.status == staff.ACTIVE  # removed staff: as if unknown
    )
    if data["community"]:
        statement = statement.where(Community.slug == data["community"])
    with session.begin():  # not held while argon2 runs
        candidates = session.execute(statement).all()
    slugs = [data["community"]] if data["community"] else [c.slug for _, c in candidates] + [""]
    attempt = login_limit.begin_attempt(session, data["phone"], data["community"], slugs)  # 429 past the limit
    matches = [(a, c) for a, c in candidates if verify_password(a.password_hash, data["password"])]
    if not candidates:
        verify_password(None, data["password"])  # same time as a wrong password
    if not matches:
        raise Unauthorized("Wrong phone number or password.")
    login_limit.succeeded(session, attempt)
    if len(matches) > 1:
        raise Conflict(
            "This phone belongs to several communities: say which one.",
            {"errors": {"community": ["Required for this phone."]},
             "communities": [c.slug for _, c in matches]},
        )
    account, community = matches[0]
    with session.begin():
        member = session.scalars(select(Member).where(Member.account_id == account.id)).first()
    return _identity(account, community, member)


def _community_by_slug(session, slug):
    community = session.scalars(select(Community).where(Community.slug == slug)).first() if isinstance(slug, str) else None
    if community is None:
        raise NotFound("No such community.", {"slug": slug})
    return community


def join_community(session, caller, slug, payload):
    """A resident joins (入团): active at once, or pending the leader's approval, by the
    community's admission settings (a building it does not serve: 422). An active member finds
    the welcome guide in their inbox."""
    data = load(JOIN_INPUT, payload)
    password_hash = hash_password(data["password"])
    community = _community_by_slug(session, slug)
    status = members.admission_status(settings.effective(community), data["building"], data["invite_code"])
    taken = session.scalars(
        select(Account).where(Account.tenant_id == community.id, Account.phone == data["phone"])
    ).first()
    if taken is not None and taken.role != "member":  # the leader's or a helper's, maybe removed
        raise Conflict("This phone number belongs to the community's leader or staff; join with another one.",
                       {"reason": "phone_is_staff", "errors": {"phone": ["Used by the leader or staff here."]}})
    if taken is not None:
        raise Conflict("This phone number has already joined this community.",
                       {"reason": "already_member", "errors": {"phone": ["Already a member here: log in instead."]}})
    account = Account(tenant_id=community.id, phone=data["phone"], password_hash=password_hash,
                      role="member", display_name=data["name"])
    session.add(account)
    session.flush()
    birthday = data["birthday"].isoformat() if data["birthday"] else None
    member = Member(tenant_id=community.id, account_id=account.id, name=data["name"], building=data["building"],
                    unit=data["unit"], birthday=birthday, status=status, invite_code=data["invite_code"])
    session.add(member)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("This phone number has already joined this community.") from None
    if status == "active":
        members.activate(session, member)
    tagging.refresh_member(session, community.id, member.id)
    emit(
        session,
        events.MEMBER_JOINED,
        {"member_id": member.id, "community_slug": community.slug, "name": member.name, "building": member.building, "unit": member.unit,
         "status": member.status, "invite_code": member.invite_code, "joined_at": member.created_at.isoformat()},
        tenant_id=community.id,
        correlation_id=caller.correlation_id,
    )
    return {**_identity(account, community, member), "member": {"id": member.id, "status": member.status}}


def get_me(session, caller):
    tenant_id = caller.require_tenant()
    account = session.get(Account, caller.account_id) if caller.account_id else None
    if not staff.has_access(account, caller):
        raise Unauthorized("This account no longer exists.")
    community = session.get(Community, tenant_id)
    me = {
        "role": account.role,
        "account": {"id": account.id, "display_name": account.display_name, "phone": account.phone},
        "community": COMMUNITY.dump(community),
        "member": None,
    }
    member = session.scalars(select(Member).where(Member.account_id == account.id)).first()
    if member is not None:
        me["member"] = {**MEMBER.dump(member), **loyalty.member_summary(session, tenant_id, member.id),
                        "order_stats": members.order_stats(session, tenant_id, member.id),
                        "reminders_opt_out": bool(member.reminders_opt_out)}
    return me


def get_community_card(session, slug):
    """The public card on the join page: nothing private."""
    community = _community_by_slug(session, slug)
    members_total = session.scalar(
        select(func.count(Member.id)).where(Member.tenant_id == community.id, Member.status == "active")
    )
    return CARD.dump({**COMMUNITY.dump(community), "members_total": members_total})


def _purchase(session, event, data):
    """The member's purchase history (idempotent via the inbox) begins with the first event of
    an order crm hears of: paid, cancelled or refunded (each type has its own queue, so any may
    come first). An unpaid order is not a purchase yet: crm does not listen to ``order_placed``.
    ``None`` for an order id of another community: not ours to touch."""
    purchase = session.get(Purchase, data["order_id"])
    if purchase is None:
        purchase = Purchase(order_id=data["order_id"], tenant_id=event["tenant_id"], member_id=data["member_id"],
                            status="paid", total_cents=data["total_cents"], lines=event["data"]["lines"],
                            placed_at=data["placed_at"] or event["occurred_at"])
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
            purchase.refunded_cents = min(max(purchase.refunded_cents or 0, refunded), purchase.total_cents)


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
    product.name, product.category, product.tags = data["name"][:80], data["category"], list(data["tags"] or [])
    if data["price_cents"] is not None:
        product.price_cents = data["price_cents"]
    for field in ("in_stock", "on_sale"):
        if data[field] is not None:
            setattr(product, field, data[field])
        elif getattr(product, field) is None:
            setattr(product, field, True)


def refresh_tags(session, now=None):
    """Every community's automatic tags and repurchase predictions (the daily timer):
    lifecycle moves with time alone, product names and categories may have changed. The paid
    purchases are read once per community for both."""
    for tenant_id in session.scalars(select(Community.id)).all():
        by_member = prediction.paid_purchases(session, tenant_id)
        tagging.refresh_community(session, tenant_id, now, by_member)
        prediction.refresh_community(session, tenant_id, by_member)


@inbox_consumer("services.crm.handlers:notify_pickup_ready")
def notify_pickup_ready(session, event):
    """``fulfillment.order_ready_for_pickup`` -> a pickup notice in the member's inbox, once."""
    data = load(READY_FOR_PICKUP, event["data"])
    dedupe_key = f"pickup_ready:{data['order_id']}"
    exists = session.scalars(select(InboxMessage).where(
        InboxMessage.member_id == data["member_id"], InboxMessage.dedupe_key == dedupe_key)).first()
    if exists is None:
        pickup = data["pickup"]
        params = {"order_id": data["order_id"], "code": pickup["code"], "point": pickup["point"],
                  "at": pickup["at"].isoformat()}
        session.add(InboxMessage(tenant_id=event["tenant_id"], member_id=data["member_id"], kind="pickup_ready",
                                 dedupe_key=dedupe_key, params=params))
        # Outside the app: the batch's notice to the community's channels (one per point and
        # time), and this member's own notice by e-mail if they gave one.
        notify.announce_pickup(session, event["tenant_id"], pickup["point"], params["at"], data["order_id"])
        notify.notify_member(session, event["tenant_id"], data["member_id"], "pickup_ready", params)


@inbox_consumer("services.crm.handlers:remind_pickup")
def remind_pickup(session, event):
    """``fulfillment.order_pickup_overdue`` -> one pickup reminder (取货提醒) in the inbox."""
    data = load(PICKUP_OVERDUE, event["data"])
    dedupe_key = f"pickup_reminder:{data['order_id']}"
    exists = session.scalars(select(InboxMessage).where(
        InboxMessage.member_id == data["member_id"], InboxMessage.dedupe_key == dedupe_key)).first()
    if exists is None:
        params = {"order_id": data["order_id"], "code": data["pickup_code"], "point": data["pickup_point"],
                  "items": [{"name": item["name"], "quantity": item["quantity"]} for item in data["items"]]}
        session.add(InboxMessage(tenant_id=event["tenant_id"], member_id=data["member_id"], kind="pickup_reminder",
                                 dedupe_key=dedupe_key, params=params))
        notify.notify_member(session, event["tenant_id"], data["member_id"], "pickup_reminder", params)


def list_inbox(session, caller, query, locale=messages.DEFAULT_LOCALE):
    """The member's messages, newest first, in the reader's language."""
    caller.require_member()
    params = load(INBOX_QUERY, query)
    timezone = settings.community_timezone(session, caller.tenant_id)
    statement = select(InboxMessage).where(
        InboxMessage.tenant_id == caller.tenant_id, InboxMessage.member_id == caller.member_id)
    statement = newest_first(statement, InboxMessage, decode_cursor(params["cursor"]), params["limit"])
    items = [
        {"id": message.id, "kind": message.kind, "created_at": message.created_at.isoformat(),
         "read": message.read_at is not None, "order_id": message.params.get("order_id"),
         **messages.render(message.kind, message.params, timezone, locale)}
        for message in session.scalars(statement)
    ]
    return page(items, params["limit"])
