"""The HTTP contract (../shared/API.md) as marshmallow schemas.

The gateway validates every body and query with these before calling a service, and the
OpenAPI document is generated from them. Services validate again with their own schemas:
contracts are copied, not shared.
"""

from marshmallow import INCLUDE, Schema, fields, validate

from services.infra.schemas import Int, PageSchema, StrictBoolean, StrictSchema, Text

PHONE = validate.Regexp(r"^1[3-9]\d{9}$", error="Enter an 11-digit mainland mobile number.")
SLUG = validate.Regexp(r"^[a-z0-9][a-z0-9-]{2,39}$", error="3-40 lowercase letters, digits or dashes.")


def Password():
    return fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=128))


class LeaderSignup(StrictSchema):
    community_name = Text(60)
    slug = fields.String(required=True, validate=SLUG)
    phone = fields.String(required=True, validate=PHONE)
    password = Password()
    display_name = Text(40)


class Login(StrictSchema):
    phone = fields.String(required=True, validate=PHONE)
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=128))
    community = fields.String(load_default=None, allow_none=True, validate=SLUG)


class Join(StrictSchema):
    phone = fields.String(required=True, validate=PHONE)
    password = Password()
    name = Text(40)
    building = Text(20)
    unit = Text(20)
    invite_code = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^[A-Za-z0-9]{4,16}$"))
    birthday = fields.Date(load_default=None, allow_none=True)


class Community(Schema):
    id = fields.String()
    slug = fields.String()
    name = fields.String()
    leader_display_name = fields.String()
    timezone = fields.String()


class CommunityCard(Schema):
    slug = fields.String()
    name = fields.String()
    leader_display_name = fields.String()
    members_total = fields.Integer()


class Session(Schema):
    token = fields.String()
    role = fields.String()
    community = fields.Nested(Community)


class JoinResult(Session):
    member = fields.Dict()


class Me(Schema):
    role = fields.String()
    account = fields.Dict()
    community = fields.Nested(Community)
    member = fields.Dict(allow_none=True)


class StaffBody(StrictSchema):
    """The leader adds a helper (团长助理), who logs in with this phone and password."""

    phone = fields.String(required=True, validate=PHONE)
    password = Password()
    display_name = Text(40)


class StaffAccount(Schema):
    id = fields.String()
    phone = fields.String()
    display_name = fields.String()
    role = fields.String(metadata={"description": "staff"})
    created_at = fields.DateTime()


class StaffList(Schema):
    items = fields.List(fields.Nested(StaffAccount))


class ProductBody(StrictSchema):
    name = Text(80)
    description = Text(2000, required=False)
    story = Text(4000, required=False)
    honest_notes = Text(2000, required=False)
    category = Text(40, required=False)
    tags = fields.List(Text(20), validate=validate.Length(max=20))
    unit = Text(16, required=False)
    price_cents = Int(0, 10_000_000, required=True)
    stock = Int(0, 1_000_000)
    image_url = fields.URL(allow_none=True, validate=validate.Length(max=500))
    status = fields.String(validate=validate.OneOf(["on_sale", "off_sale"]))


class Product(Schema):
    id = fields.String()
    name = fields.String()
    description = fields.String()
    story = fields.String()
    honest_notes = fields.String()
    category = fields.String()
    tags = fields.List(fields.String())
    unit = fields.String()
    price_cents = fields.Integer()
    stock = fields.Integer()
    image_url = fields.String(allow_none=True)
    status = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ProductQuery(PageSchema):
    category = Text(40, required=False)


class OrderItem(StrictSchema):
    product_id = Text(32)
    quantity = Int(1, 999, required=True)


class Channel(StrictSchema):
    type = fields.String(required=True, validate=validate.OneOf(["shop", "wave", "live"]))
    id = Text(32, required=False, allow_none=True)


class PlaceOrder(StrictSchema):
    items = fields.List(fields.Nested(OrderItem), required=True, validate=validate.Length(min=1, max=50))
    channel = fields.Nested(Channel)
    note = Text(200, required=False)
    coupon_id = fields.String(allow_none=True, validate=validate.Length(min=1, max=32),
                              metadata={"description": "from GET /me/coupons"})
    points_to_use = Int(0, 10**7, metadata={"description": "1 point = 1 fen"})


class OrderQuery(PageSchema):
    status = fields.String(validate=validate.OneOf([
        "pending_payment", "paid", "packed", "delivering", "ready_for_pickup", "completed",
        "cancelled", "refunding", "refunded",
    ]))
    member_id = Text(32, required=False)


class OrderLine(Schema):
    product_id = fields.String()
    name = fields.String()
    unit = fields.String()
    unit_price_cents = fields.Integer()
    quantity = fields.Integer()


class TimelineEntry(Schema):
    status = fields.String()
    at = fields.DateTime()
    by = fields.String(metadata={"description": "member, leader, staff, provider or system"})


class Pickup(Schema):
    code = fields.String()
    point = fields.String()
    at = fields.DateTime()


class Order(Schema):
    id = fields.String()
    member_id = fields.String()
    status = fields.String()
    channel = fields.Dict()
    lines = fields.List(fields.Nested(OrderLine))
    subtotal_cents = fields.Integer()
    discount_cents = fields.Integer(metadata={"description": "tier + coupon + points"})
    total_cents = fields.Integer()
    tier_discount_cents = fields.Integer()
    coupon_id = fields.String(allow_none=True)
    coupon_discount_cents = fields.Integer()
    points_used = fields.Integer()
    points_discount_cents = fields.Integer()
    note = fields.String()
    expires_at = fields.DateTime()
    created_at = fields.DateTime()
    timeline = fields.List(fields.Nested(TimelineEntry))
    pickup = fields.Nested(Pickup, allow_none=True, metadata={"description": "null until ready for pickup"})
    after_sales = fields.List(fields.Dict(), metadata={"description": "售后 cases: [{id, kind, status, at}]"})
    compensations = fields.List(fields.Dict(), metadata={"description": "[{type, amount, at}]: fen or points"})


class Referral(Schema):
    invite_code = fields.String()
    invite_url = fields.String()
    invited = fields.Integer()
    rewarded = fields.Integer()


class ReferralSettingsBody(StrictSchema):
    """A partial update of the referral program's rules."""

    referrer_reward_cents = Int(0, 100_000, metadata={"description": "coupon for the inviter (0: none)"})
    invitee_reward_cents = Int(0, 100_000, metadata={"description": "coupon for the invitee (0: none)"})
    min_first_order_cents = Int(0, 10_000_000, metadata={"description": "the first order must reach this"})
    weekly_cap = Int(1, 1000, metadata={"description": "rewarded invitations per inviter per week"})
    allow_same_household = StrictBoolean()
    showcase_points = Int(0, 10_000, metadata={"description": "points for an approved showcase"})


class ReferralSettings(Schema):
    referrer_reward_cents = fields.Integer()
    invitee_reward_cents = fields.Integer()
    min_first_order_cents = fields.Integer()
    weekly_cap = fields.Integer()
    allow_same_household = fields.Boolean()
    showcase_points = fields.Integer()


class ReferralRecordQuery(PageSchema):
    status = fields.String(validate=validate.OneOf(["joined", "rewarded", "refused", "revoked"]))


class ReferralRecord(Schema):
    id = fields.String()
    referrer_id = fields.String()
    referrer_name = fields.String()
    invitee_id = fields.String()
    invitee_name = fields.String()
    status = fields.String(metadata={"description": "joined|rewarded|refused|revoked"})
    reason = fields.String(allow_none=True, metadata={
        "description": "self_invite|same_household|below_minimum|weekly_cap|first_order_refunded"})
    first_order_id = fields.String(allow_none=True)
    first_order_cents = fields.Integer(allow_none=True)
    referrer_reward_cents = fields.Integer()
    invitee_reward_cents = fields.Integer()
    rewarded_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class LeaderboardQuery(StrictSchema):
    period = fields.String(validate=validate.OneOf(["week", "month"]))


class LeaderboardEntry(Schema):
    rank = fields.Integer()
    name = fields.String(metadata={"description": "masked: 李**"})
    count = fields.Integer()
    me = fields.Boolean()


class Leaderboard(Schema):
    period = fields.String()
    since = fields.DateTime()
    items = fields.List(fields.Nested(LeaderboardEntry))


class ShowcaseBody(StrictSchema):
    order_id = Text(32)
    text = Text(500)
    image_url = fields.URL(allow_none=True, schemes={"http", "https"}, validate=validate.Length(max=500))


class ShowcaseQuery(PageSchema):
    status = fields.String(validate=validate.OneOf(["pending", "approved", "rejected"]))


class Showcase(Schema):
    id = fields.String()
    order_id = fields.String(allow_none=True, metadata={"description": "the author's and staff's view only"})
    member_id = fields.String(allow_none=True)
    author = fields.String(metadata={"description": "masked for other members"})
    text = fields.String()
    image_url = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "pending|approved|rejected"})
    points = fields.Integer()
    mine = fields.Boolean()
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)


class Health(Schema):
    status = fields.String()
    services = fields.Dict(keys=fields.String(), values=fields.String())
    down = fields.List(fields.String())


class Problem(Schema):
    """RFC 9457 problem details; a problem may add members of its own (``product_id``,
    ``available``, ``reason``...), which the document allows."""

    class Meta:
        unknown = INCLUDE

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    # A field's messages, or for a nested field (items.0.quantity) an object of the same shape.
    errors = fields.Dict(keys=fields.String(), metadata={
        "description": "field -> [messages], or field -> {index or field -> ...} for nested input"})


def page_of(item_schema):
    """``{"items": [...], "next_cursor"}`` around ``item_schema`` (for the OpenAPI document)."""
    return type(f"{item_schema.__name__}Page", (Schema,), {
        "items": fields.List(fields.Nested(item_schema)),
        "next_cursor": fields.String(allow_none=True),
    })


class PayBody(StrictSchema):
    method = fields.String(required=True, validate=validate.OneOf(["sandbox", "offline"]))


class Payment(Schema):
    id = fields.String()
    method = fields.String()
    status = fields.String()
    amount_cents = fields.Integer()
    refunded_cents = fields.Integer()
    pay_url = fields.String()


class PaymentStarted(Schema):
    payment = fields.Nested(Payment)


class OrderStatus(Schema):
    order_id = fields.String()
    status = fields.String()


class PaidInPerson(OrderStatus):
    payment = fields.Nested(Payment)


class SandboxOutcome(StrictSchema):
    outcome = fields.String(required=True, validate=validate.OneOf(["succeeded", "failed"]))


class SandboxCharge(Schema):
    charge_id = fields.String()
    amount_cents = fields.Integer()
    description = fields.String()
    status = fields.String()
    merchant = fields.String()


class RefundBody(StrictSchema):
    amount_cents = Int(1, 10**10, required=True)
    reason = Text(200)


class RefundResult(Schema):
    order_id = fields.String()
    status = fields.String()
    refunded_cents = fields.Integer()
    refundable_cents = fields.Integer()


class WaveItemBody(StrictSchema):
    product_id = Text(32)
    price_cents = Int(1, 10_000_000, required=True)
    quota = Int(1, 1_000_000, allow_none=True)
    per_member_limit = Int(1, 999, allow_none=True)


class WaveBody(StrictSchema):
    title = Text(60)
    cutoff_at = fields.AwareDateTime(required=True)
    pickup_at = fields.AwareDateTime(required=True)
    pickup_point = Text(100)
    packing_note = Text(2000, required=False)
    items = fields.List(fields.Nested(WaveItemBody), required=True, validate=validate.Length(min=1, max=100))


class WaveItem(Schema):
    product_id = fields.String()
    name = fields.String()
    unit = fields.String()
    price_cents = fields.Integer()
    quota = fields.Integer(allow_none=True)
    sold = fields.Integer()
    remaining = fields.Integer(allow_none=True)
    per_member_limit = fields.Integer(allow_none=True)


class Wave(Schema):
    id = fields.String()
    title = fields.String()
    cutoff_at = fields.DateTime()
    pickup_at = fields.DateTime()
    pickup_point = fields.String()
    packing_note = fields.String()
    status = fields.String()
    closed_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    items = fields.List(fields.Nested(WaveItem))


class WaveQuery(PageSchema):
    status = fields.String(validate=validate.OneOf(["open", "closed"]))


class CoHost(StrictSchema):
    name = Text(40)
    role = Text(40)


class LiveItemBody(StrictSchema):
    product_id = Text(32)
    live_price_cents = Int(1, 10_000_000, required=True)
    quota = Int(1, 1_000_000, required=True)
    per_member_limit = Int(1, 999, allow_none=True)


class LiveSessionBody(StrictSchema):
    title = Text(60)
    host_persona = Text(200, metadata={"example": "90后宝妈, 营养师"})
    scheduled_at = fields.AwareDateTime(required=True)
    stream_url = fields.URL(schemes={"http", "https"}, allow_none=True, validate=validate.Length(max=500),
                            metadata={"description": "the HLS/FLV pull address of the leader's streaming provider"})
    co_hosts = fields.List(fields.Nested(CoHost), validate=validate.Length(max=10))
    items = fields.List(fields.Nested(LiveItemBody), required=True, validate=validate.Length(min=1, max=100))


class LiveItem(Schema):
    product_id = fields.String()
    name = fields.String()
    unit = fields.String()
    live_price_cents = fields.Integer()
    list_price_cents = fields.Integer()
    quota = fields.Integer()
    sold = fields.Integer()
    remaining = fields.Integer()
    per_member_limit = fields.Integer(allow_none=True)


class PinnedItem(Schema):
    product_id = fields.String()
    name = fields.String()
    live_price_cents = fields.Integer()


class LiveStats(Schema):
    viewers = fields.Integer(metadata={"description": "distinct members who were in the room while live"})
    peak_viewers = fields.Integer()
    watching = fields.Integer()
    buyers = fields.Integer()
    orders = fields.Integer()
    gmv_cents = fields.Integer()
    conversion_rate = fields.Float(metadata={"description": "buyers / viewers"})


class LiveSession(Schema):
    id = fields.String()
    title = fields.String()
    host_persona = fields.String()
    co_hosts = fields.List(fields.Nested(CoHost))
    scheduled_at = fields.DateTime()
    stream_url = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "scheduled | live | ended"})
    started_at = fields.DateTime(allow_none=True)
    ended_at = fields.DateTime(allow_none=True)
    pinned = fields.Nested(PinnedItem, allow_none=True)
    items = fields.List(fields.Nested(LiveItem))
    stats = fields.Nested(LiveStats)
    created_at = fields.DateTime()


class LiveSessionQuery(PageSchema):
    status = fields.String(validate=validate.OneOf(["scheduled", "live", "ended"]))


class PinBody(StrictSchema):
    product_id = Text(32)


class CommentBody(StrictSchema):
    # Catalog judges the trimmed text (1-200 characters); this only turns away the absurd.
    text = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class LiveComment(Schema):
    id = fields.String()
    author = fields.String(metadata={"description": "masked, e.g. 李**"})
    text = fields.String()
    at = fields.DateTime()
    hidden = fields.Boolean()


class WaveFulfillmentBody(StrictSchema):
    status = fields.String(required=True, validate=validate.OneOf(["packed", "delivering", "ready_for_pickup"]))


class WaveFulfillment(Schema):
    wave_id = fields.String()
    status = fields.String()
    moved = fields.Integer()


class PickupVerifyBody(StrictSchema):
    code = fields.String(required=True, validate=validate.Regexp(r"^\d{6}$", error="Six digits."))


class PickupMember(Schema):
    name = fields.String()
    building = fields.String()
    unit = fields.String()


class PickedItem(Schema):
    product_id = fields.String()
    name = fields.String()
    quantity = fields.Integer()


class PickupVerified(Schema):
    order_id = fields.String()
    member = fields.Nested(PickupMember)
    items = fields.List(fields.Nested(PickedItem))


class PickingListQuery(StrictSchema):
    group_by = fields.String(load_default="product", validate=validate.OneOf(["product", "member"]))
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))


class PickingProduct(PickedItem):
    orders = fields.Integer()


class PickingMember(Schema):
    member_id = fields.String()
    name = fields.String()
    orders = fields.List(fields.String())
    items = fields.List(fields.Nested(PickedItem))


class PickingUnit(Schema):
    unit = fields.String()
    members = fields.List(fields.Nested(PickingMember))


class PickingBuilding(Schema):
    building = fields.String()
    units = fields.List(fields.Nested(PickingUnit))


class PickingWave(Schema):
    title = fields.String()
    pickup_at = fields.DateTime()
    pickup_point = fields.String()


class PickingList(Schema):
    wave_id = fields.String()
    group_by = fields.String()
    wave = fields.Nested(PickingWave, allow_none=True)
    orders = fields.Integer()
    total_quantity = fields.Integer()
    products = fields.List(fields.Nested(PickingProduct), metadata={"description": "group_by=product"})
    buildings = fields.List(fields.Nested(PickingBuilding), metadata={"description": "group_by=member"})


class PurchaseListQuery(StrictSchema):
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))


class PurchaseProduct(PickingProduct):
    unit = fields.String()
    on_hand = fields.Integer(metadata={"description": "what the leader already has (PUT /stock-on-hand)"})
    to_buy = fields.Integer(metadata={"description": "quantity - on_hand, at least 0: what to order"})


class StockOnHandBody(StrictSchema):
    quantity = Int(0, 1_000_000, required=True)


class StockOnHand(Schema):
    product_id = fields.String()
    quantity = fields.Integer()
    updated_at = fields.AwareDateTime()


class PurchaseList(Schema):
    wave_id = fields.String()
    title = fields.String()
    needed_by = fields.DateTime(allow_none=True, metadata={"description": "the wave's pickup time"})
    orders = fields.Integer()
    products = fields.List(fields.Nested(PurchaseProduct))


class PackingSlipsQuery(StrictSchema):
    paper = fields.String(load_default="a4", validate=validate.OneOf(["a4", "80mm"]))


class OrderFulfillmentBody(WaveFulfillmentBody):
    pickup_point = Text(200, required=False, metadata={"description": "for an order no wave gives a pickup"})
    pickup_at = fields.AwareDateTime(load_default=None)


class OrderFulfillment(Schema):
    order_id = fields.String()
    status = fields.String()
    moved = fields.Boolean()
    pickup = fields.Nested(Pickup, allow_none=True)


class InboxMessage(Schema):
    id = fields.String()
    kind = fields.String()
    title = fields.String()
    body = fields.String()
    order_id = fields.String(allow_none=True)
    read = fields.Boolean()
    created_at = fields.DateTime()


class Tier(StrictSchema):
    name = Text(20)
    min_spend_cents = Int(0, 10**10, required=True)
    discount_percent = Int(0, 30, required=True)


class AdmissionBody(StrictSchema):
    mode = fields.String(required=True, validate=validate.OneOf(["open", "approval", "invite_or_approval"]),
                         metadata={"description": "open: active at once; approval: the leader decides; "
                                                  "invite_or_approval: active with an invite code, else the leader decides"})
    allowed_buildings = fields.List(Text(20), validate=validate.Length(max=200),
                                    metadata={"description": "residents only; empty = any building"})


class QuietHours(StrictSchema):
    start = fields.String(required=True, validate=validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$"),
                          metadata={"description": "HH:MM, community time (start == end: none)"})
    end = fields.String(required=True, validate=validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$"))


class SettingsBody(StrictSchema):
    """A partial update: only the keys given change (tiers: strictly increasing minimum spend
    from 0, discounts not decreasing)."""

    points_per_yuan = Int(0, 100)
    tiers = fields.List(fields.Nested(Tier), validate=validate.Length(min=1, max=10))
    max_points_ratio_percent = Int(0, 100, metadata={"description": "at most this share of an order in points"})
    referral = fields.Nested(ReferralSettingsBody, metadata={"description": "the referral program (referral)"})
    admission = fields.Nested(AdmissionBody, metadata={"description": "who may join, and how"})
    welcome_guide = fields.String(validate=validate.Length(max=5000),
                                  metadata={"description": "新人指南: every member finds it in the inbox once, when active"})
    reminder_hour = Int(0, 23, metadata={"description": "repurchase reminders go out at this hour (community time)"})
    quiet_hours = fields.Nested(QuietHours, metadata={"description": "nothing automated is sent in between"})


class CommunitySettings(Schema):
    points_per_yuan = fields.Integer()
    tiers = fields.List(fields.Nested(Tier))
    max_points_ratio_percent = fields.Integer()
    points_value = fields.Dict(metadata={"description": "fixed: 100 points = 100 cents (1 yuan)"})
    admission = fields.Dict()
    welcome_guide = fields.String()
    reminder_hour = fields.Integer()
    quiet_hours = fields.Dict()
    referral = fields.Nested(ReferralSettings)


class PointsEntry(Schema):
    id = fields.String()
    delta = fields.Integer()
    kind = fields.String(metadata={"description": "earned|held|released|spent|returned|reversed"})
    order_id = fields.String(allow_none=True)
    reason = fields.String()
    created_at = fields.DateTime()


class Points(Schema):
    balance = fields.Integer(metadata={"description": "spendable now; held points are already out"})
    held = fields.Integer(metadata={"description": "held by unpaid orders"})
    items = fields.List(fields.Nested(PointsEntry))
    next_cursor = fields.String(allow_none=True)


class PointsAdjustBody(StrictSchema):
    delta = Int(-10**7, 10**7, required=True, metadata={"description": "points to add (negative: take away)"})
    reason = Text(200)


class PointsAdjusted(Schema):
    member_id = fields.String()
    balance = fields.Integer()


class CouponBody(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(["fixed", "percent"]))
    amount_cents = Int(1, 100_000_000, metadata={"description": "fixed coupons"})
    percent = Int(1, 90, metadata={"description": "percent coupons, with cap_cents"})
    cap_cents = Int(1, 100_000_000)
    min_spend_cents = Int(0, 100_000_000)
    valid_days = Int(1, 3650, required=True)


class Coupon(Schema):
    id = fields.String()
    member_id = fields.String()
    kind = fields.String()
    amount_cents = fields.Integer(allow_none=True)
    percent = fields.Integer(allow_none=True)
    cap_cents = fields.Integer(allow_none=True)
    min_spend_cents = fields.Integer()
    valid_from = fields.DateTime()
    valid_until = fields.DateTime()
    status = fields.String(metadata={"description": "available|locked|redeemed|expired"})
    source = fields.String()
    created_at = fields.DateTime()


class CouponQuery(PageSchema):
    status = fields.String(validate=validate.OneOf(["available", "locked", "redeemed", "expired", "all"]))


# --- after-sale (售后) and batches outside waves (fulfilment) ---------------------------------

class AfterSaleBody(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(["damaged", "missing", "quality", "other"]))
    description = Text(1000)
    photo_url = fields.Url(schemes={"http", "https"}, load_default=None, allow_none=True,
                           validate=validate.Length(max=500))


class CompensationBody(StrictSchema):
    type = fields.String(required=True, validate=validate.OneOf(["refund", "coupon", "points"]))
    amount = Int(1, 10**9, required=True, metadata={"description": "fen (refund, coupon) or points"})


class ResolveAfterSaleBody(StrictSchema):
    compensation = fields.Nested(CompensationBody, required=True)


class RejectAfterSaleBody(StrictSchema):
    reason = Text(200)


class CompensateBody(CompensationBody):
    reason = Text(200)


class AfterSaleQuery(PageSchema):
    status = fields.String(load_default=None, validate=validate.OneOf(["open", "resolved", "rejected"]))


class Compensation(Schema):
    id = fields.String()
    order_id = fields.String()
    case_id = fields.String(allow_none=True)
    type = fields.String()
    amount = fields.Integer()
    reason = fields.String()
    status = fields.String(metadata={"description": "pending (refund on its way) | granted"})
    created_at = fields.DateTime()


class AfterSale(Schema):
    id = fields.String()
    order_id = fields.String()
    member_id = fields.String()
    kind = fields.String()
    description = fields.String()
    photo_url = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "open | resolved | rejected"})
    reject_reason = fields.String(allow_none=True)
    created_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    compensation = fields.Nested(Compensation, allow_none=True)


class BatchQuery(StrictSchema):
    date = fields.Date(required=True)


class BatchMoveBody(StrictSchema):
    date = fields.Date(required=True)
    pickup_point = Text(200)
    status = fields.String(required=True, validate=validate.OneOf(["packed", "delivering", "ready_for_pickup"]))


class Batch(Schema):
    pickup_point = fields.String()
    orders = fields.Integer()
    total_quantity = fields.Integer()
    statuses = fields.Dict(metadata={"description": "orders per step: to_pack, packed, ..."})
    order_ids = fields.List(fields.String())
    products = fields.List(fields.Dict())


class Batches(Schema):
    date = fields.Date()
    batches = fields.List(fields.Nested(Batch))


class BatchMoved(Schema):
    date = fields.Date()
    pickup_point = fields.String()
    status = fields.String()
    moved = fields.Integer()


# --- the cockpit (数据驾驶舱) --------------------------------------------------------------------


class DashboardQuery(StrictSchema):
    """ISO dates in the community's calendar; both default to the last 30 days (max 366)."""

    date_from = fields.Date(data_key="from")
    date_to = fields.Date(data_key="to")


class DashboardLive(Schema):
    sessions = fields.Integer()
    viewers = fields.Integer()
    buyers = fields.Integer()
    conversion_rate = fields.Float()


class DashboardProduct(Schema):
    product_id = fields.String()
    name = fields.String()
    quantity = fields.Integer()
    revenue_cents = fields.Integer()


class DashboardDay(Schema):
    date = fields.String()
    gmv_cents = fields.Integer()
    orders = fields.Integer()
    new_members = fields.Integer()


class Dashboard(Schema):
    """Definitions: services/orders/stats.py and the other services' stats.py."""

    date_from = fields.String(data_key="from")
    date_to = fields.String(data_key="to")
    timezone = fields.String()
    gmv_cents = fields.Integer()
    orders = fields.Integer()
    paying_members = fields.Integer()
    aov_cents = fields.Integer()
    repurchase_rate = fields.Float()
    new_members = fields.Integer()
    members_total = fields.Integer()
    live = fields.Nested(DashboardLive)
    reminders = fields.Dict(keys=fields.String(), values=fields.Integer())
    referrals = fields.Dict(keys=fields.String(), values=fields.Integer())
    fulfillment = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True))
    after_sales = fields.Dict(keys=fields.String(), values=fields.Integer(), allow_none=True)
    after_sales_rate = fields.Float(allow_none=True)
    top_products = fields.List(fields.Nested(DashboardProduct))
    daily = fields.List(fields.Nested(DashboardDay))


# --- members: admission, profiles, tags; posts; notification channels (crm) ---------------------

class MemberQuery(PageSchema):
    status = fields.String(validate=validate.OneOf(["pending", "active", "rejected"]),
                           metadata={"description": "pending = the approval queue"})
    tag = fields.String(validate=validate.Length(min=1, max=40), metadata={"description": "a manual or automatic tag"})
    q = fields.String(validate=validate.Length(min=1, max=40),
                      metadata={"description": "part of the name, the phone's last digits, or the building"})


class MemberPatch(StrictSchema):
    tags_add = fields.List(Text(20), validate=validate.Length(max=30))
    tags_remove = fields.List(Text(20), validate=validate.Length(max=30))
    note = fields.String(validate=validate.Length(max=2000))


class ProfilePatch(StrictSchema):
    building = Text(20, required=False)
    unit = Text(20, required=False)
    birthday = fields.Date(allow_none=True, metadata={"description": "not in the future"})
    household_notes = fields.String(validate=validate.Length(max=500))
    email = fields.String(allow_none=True, validate=validate.Length(max=254),
                          metadata={"description": "optional: the community's e-mail channel also writes here"})
    reminders_opt_out = StrictBoolean(metadata={"description": "true: no repurchase reminders"})


class MemberSummary(Schema):
    id = fields.String()
    name = fields.String()
    phone = fields.String()
    building = fields.String()
    unit = fields.String()
    birthday = fields.String(allow_none=True)
    status = fields.String()
    tags = fields.List(fields.String(), metadata={"description": "the leader's (manual)"})
    auto_tags = fields.List(fields.String(), metadata={"description": "kept current from purchases"})
    reminders_opt_out = fields.Boolean()
    email = fields.String(allow_none=True, metadata={"description": "in the member's own profile"})
    household_notes = fields.String(metadata={"description": "in the member's own profile"})
    created_at = fields.DateTime()


class MemberTags(Schema):
    manual = fields.List(fields.String())
    auto = fields.List(fields.String())


class MemberDetail(Schema):
    id = fields.String()
    name = fields.String()
    phone = fields.String()
    building = fields.String()
    unit = fields.String()
    birthday = fields.String(allow_none=True)
    status = fields.String()
    email = fields.String(allow_none=True)
    household_notes = fields.String()
    reminders_opt_out = fields.Boolean()
    note = fields.String()
    tags = fields.Nested(MemberTags)
    auto_tags = fields.List(fields.String())
    points = fields.Integer()
    points_held = fields.Integer()
    tier = fields.Dict()
    order_stats = fields.Dict(metadata={"description": "paid_orders, spent_cents, last_order_at"})
    repurchase_predictions = fields.List(fields.Dict(), metadata={
        "description": "[{product_id (null for a category), category, name, interval_days, next_due_at, "
                       "last_purchase_at, purchases, confidence (0..1)}]"})
    activated_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class PostBody(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(["knowledge", "event"]))
    title = Text(80)
    body = Text(10000)
    event_at = fields.AwareDateTime(allow_none=True, metadata={"description": "required for an event"})
    published = StrictBoolean(metadata={"description": "default true; false keeps a draft"})


class PostQuery(PageSchema):
    kind = fields.String(validate=validate.OneOf(["knowledge", "event"]))


class Post(Schema):
    id = fields.String()
    kind = fields.String()
    title = fields.String()
    body = fields.String()
    event_at = fields.DateTime(allow_none=True)
    status = fields.String(metadata={"description": "published|draft"})
    published_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class Deleted(Schema):
    id = fields.String()
    deleted = fields.Boolean()


class ChannelBody(StrictSchema):
    """``{type: webhook, url}`` (a WeCom group robot receives {"msgtype": "text", ...}) or
    ``{type: smtp, host, port, username?, password?, from, to, starttls?}``."""

    type = fields.String(required=True, validate=validate.OneOf(["webhook", "smtp"]))
    name = Text(40, required=False)
    url = fields.String(validate=validate.Length(min=8, max=500), metadata={"description": "http(s) only"})
    host = fields.String(validate=validate.Length(min=1, max=253))
    port = Int(1, 65535)
    username = fields.String(validate=validate.Length(min=1, max=200))
    password = fields.String(load_only=True, validate=validate.Length(min=1, max=200),
                             metadata={"description": "never returned"})
    sender = fields.String(data_key="from", validate=validate.Length(max=254))
    to = fields.List(fields.String(validate=validate.Length(max=254)), validate=validate.Length(min=1, max=20))
    starttls = StrictBoolean()


class NotificationChannel(Schema):
    id = fields.String()
    type = fields.String()
    name = fields.String(allow_none=True)
    url = fields.String(metadata={"description": "webhook: its secret query masked"})
    host = fields.String()
    port = fields.Integer()
    username = fields.String(allow_none=True)
    sender = fields.String(data_key="from")
    to = fields.List(fields.String())
    starttls = fields.Boolean()
    password_set = fields.Boolean()
    created_at = fields.DateTime()


class ChannelList(Schema):
    items = fields.List(fields.Nested(NotificationChannel))


class DeliveryQuery(PageSchema):
    status = fields.String(validate=validate.OneOf(["pending", "delivered", "failed"]))


class Delivery(Schema):
    id = fields.String()
    channel_id = fields.String()
    kind = fields.String()
    subject = fields.String()
    recipient = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "pending|delivered|failed"})
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    next_attempt_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    delivered_at = fields.DateTime(allow_none=True)


# --- campaigns, rewards, recommendations (crm) -------------------------------------------------

class CampaignTrigger(StrictSchema):
    type = fields.String(required=True, validate=validate.OneOf(["repurchase_due", "birthday", "member_joined", "inactive"]))
    days = Int(1, 365, metadata={"description": "inactive: days without a paid order (30); "
                                                "repurchase_due: days before the due date (1)"})


class CampaignAudience(StrictSchema):
    tags_any = fields.List(Text(40), validate=validate.Length(max=20))


class CampaignAction(StrictSchema):
    type = fields.String(required=True, validate=validate.OneOf(["message", "coupon", "points"]))
    template = fields.String(validate=validate.Length(min=1, max=500),
                             metadata={"description": "message: {name}, {product}, {community} are filled in"})
    amount_cents = Int(1, 100_000_000, metadata={"description": "coupon: fixed amount off"})
    min_spend_cents = Int(0, 100_000_000)
    valid_days = Int(1, 3650)
    amount = Int(1, 100_000, metadata={"description": "points"})


class CampaignSchedule(StrictSchema):
    hour = Int(0, 23, metadata={"description": "not before this hour (community time)"})


class CampaignBody(StrictSchema):
    name = Text(60)
    trigger = fields.Nested(CampaignTrigger, required=True)
    audience = fields.Nested(CampaignAudience)
    actions = fields.List(fields.Nested(CampaignAction), required=True, validate=validate.Length(min=1, max=5))
    schedule = fields.Nested(CampaignSchedule)
    active = StrictBoolean()


class CampaignPatch(StrictSchema):
    name = Text(60, required=False)
    audience = fields.Nested(CampaignAudience)
    actions = fields.List(fields.Nested(CampaignAction), validate=validate.Length(min=1, max=5))
    schedule = fields.Nested(CampaignSchedule)
    active = StrictBoolean()


class CampaignStats(Schema):
    sent = fields.Integer()
    converted = fields.Integer(metadata={"description": "followed by a paid order within 7 days"})
    revenue_cents = fields.Integer()


class Campaign(Schema):
    id = fields.String()
    name = fields.String()
    trigger = fields.Dict()
    audience = fields.Dict()
    actions = fields.List(fields.Dict())
    schedule = fields.Dict()
    active = fields.Boolean()
    system = fields.String(allow_none=True, metadata={"description": "birthday: the community's default greeting"})
    stats = fields.Nested(CampaignStats)
    created_at = fields.DateTime()


class RewardBody(StrictSchema):
    name = Text(60)
    points_cost = Int(1, 10**7, required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["goods_coupon", "coupon"]))
    coupon = fields.Dict(required=True, metadata={
        "description": "goods_coupon: {product_id, valid_days, amount_cents?} (a fixed coupon worth the product's "
                       "price, that price as minimum spend); coupon: as POST /members/{id}/coupons"})
    active = StrictBoolean()


class RewardPatch(StrictSchema):
    name = Text(60, required=False)
    points_cost = Int(1, 10**7)
    active = StrictBoolean()


class Reward(Schema):
    id = fields.String()
    name = fields.String()
    points_cost = fields.Integer()
    kind = fields.String()
    product_id = fields.String(allow_none=True)
    coupon = fields.Dict()
    active = fields.Boolean()
    created_at = fields.DateTime()


class Redemption(Schema):
    id = fields.String()
    reward_id = fields.String()
    points_spent = fields.Integer()
    balance = fields.Integer()
    coupon = fields.Nested(Coupon)
    created_at = fields.DateTime()


class Recommendation(Schema):
    product_id = fields.String()
    name = fields.String()
    reason = fields.String(metadata={"description": "bought_together|upgrade|popular"})
    score = fields.Integer()


class Recommendations(Schema):
    items = fields.List(fields.Nested(Recommendation))
