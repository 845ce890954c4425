"""Events crm publishes, and tolerant schemas of the events it consumes."""

from marshmallow import fields, validate

from services.infra.schemas import TolerantSchema

COMMUNITY_CREATED = "community_created"
MEMBER_JOINED = "member_joined"  # status pending|active: a pending member waits for the leader
MEMBER_APPROVED = "member_approved"  # {member_id, name, building, unit, status, at}
MEMBER_REJECTED = "member_rejected"  # likewise
# {member_id | null for the whole community}: what orders remembered of apply_checkout's
# ``terms`` (the tier discount) no longer holds.
CHECKOUT_TERMS_CHANGED = "checkout_terms_changed"
# {community_id, slug, reason, at}: the platform operator suspended a community (its members
# cannot order) or resumed it ({community_id, slug, at}).
COMMUNITY_SUSPENDED = "community_suspended"
COMMUNITY_RESUMED = "community_resumed"


class OrderLineData(TolerantSchema):
    product_id = fields.String(required=True)
    name = fields.String(load_default="")
    quantity = fields.Integer(required=True)
    unit_price_cents = fields.Integer(required=True)


class OrderStatusData(TolerantSchema):
    """``orders.order_paid`` / ``order_cancelled`` / ``order_refunded``: only what crm keeps."""

    order_id = fields.String(required=True)
    member_id = fields.String(required=True)
    total_cents = fields.Integer(required=True)
    lines = fields.List(fields.Nested(OrderLineData), required=True)
    placed_at = fields.AwareDateTime(load_default=None)  # events before it was there lack it


class PickupData(TolerantSchema):
    code = fields.String(required=True)
    point = fields.String(required=True)
    at = fields.AwareDateTime(required=True)


class ReadyForPickupData(TolerantSchema):
    """``fulfillment.order_ready_for_pickup``: whose order, and where and when to collect it."""

    order_id = fields.String(required=True)
    member_id = fields.String(required=True)
    pickup = fields.Nested(PickupData, required=True)


class PickedItemData(TolerantSchema):
    name = fields.String(required=True)
    quantity = fields.Integer(required=True)


class PickupOverdueData(TolerantSchema):
    """``fulfillment.order_pickup_overdue``: an order still waiting at the pickup point."""

    order_id = fields.String(required=True)
    member_id = fields.String(required=True)
    pickup_code = fields.String(required=True)
    pickup_point = fields.String(required=True)
    items = fields.List(fields.Nested(PickedItemData), load_default=list)


class OrderMoneyData(TolerantSchema):
    """``orders.order_paid|cancelled|completed|refunded`` as loyalty reads them: the order's paid
    total and, on a refund, how much of it has been given back so far."""

    order_id = fields.String(required=True)
    member_id = fields.String(required=True)
    total_cents = fields.Integer(required=True, validate=validate.Range(min=0))
    refunded_total_cents = fields.Integer(load_default=0, validate=validate.Range(min=0))
    whole = fields.Boolean(load_default=False)


class ProductData(TolerantSchema):
    """``catalog.product_created|product_updated``: what tags, recommendations and goods
    coupons need of a product (``in_stock``/``on_sale`` missing: as before, buyable)."""

    product_id = fields.String(required=True)
    name = fields.String(load_default="")
    category = fields.String(load_default=None, allow_none=True)
    tags = fields.List(fields.String(), load_default=list, allow_none=True)
    price_cents = fields.Integer(load_default=None, allow_none=True)
    in_stock = fields.Boolean(load_default=None, allow_none=True)
    on_sale = fields.Boolean(load_default=None, allow_none=True)


# --- what referral and fulfilment decided loyalty gives ------------------------------------


class ReferralRewardedData(TolerantSchema):
    referral_id = fields.String(required=True)
    referrer_id = fields.String(required=True)
    invitee_id = fields.String(required=True)
    referrer_reward_cents = fields.Integer(required=True, validate=validate.Range(min=0))
    invitee_reward_cents = fields.Integer(required=True, validate=validate.Range(min=0))
    order_id = fields.String(load_default=None, allow_none=True)


class ReferralRevokedData(ReferralRewardedData):
    """The same facts as the reward, so a revocation that overtakes its reward still works."""


class ShowcaseApprovedData(TolerantSchema):
    showcase_id = fields.String(required=True)
    member_id = fields.String(required=True)
    order_id = fields.String(required=True)
    points = fields.Integer(required=True, validate=validate.Range(min=0))


REFERRAL_REWARDED, REFERRAL_REVOKED = ReferralRewardedData(), ReferralRevokedData()
SHOWCASE_APPROVED = ShowcaseApprovedData()


class CompensationGrantedData(TolerantSchema):
    compensation_id = fields.String(required=True)
    order_id = fields.String(required=True)
    member_id = fields.String(required=True)
    type = fields.String(required=True)
    amount = fields.Integer(required=True, validate=validate.Range(min=0))
    reason = fields.String(load_default="")


COMPENSATION_GRANTED = CompensationGrantedData()
