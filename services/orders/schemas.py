"""What orders accepts (strict) and what it answers and publishes."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.infra import idempotency
from services.infra.schemas import Int, PageSchema, StrictSchema, Text, TolerantSchema

ORDER_STATUSES = [
    "pending_payment",
    "paid",
    "packed",
    "delivering",
    "ready_for_pickup",
    "completed",
    "cancelled",
    "refunding",
    "refunded",
]


class OrderItemInput(StrictSchema):
    product_id = Text(32)
    quantity = Int(1, 999, required=True)


class ChannelInput(StrictSchema):
    """Where the member buys: the shop shelf at list price, a group-buy wave at its price, or a
    live session at its live price (only while it is live)."""

    type = fields.String(required=True, validate=validate.OneOf(["shop", "wave", "live"]))
    id = Text(32, required=False, load_default=None, allow_none=True)

    @validates_schema
    def _wave_needs_id(self, data, **kwargs):
        if data["type"] != "shop" and not data.get("id"):
            raise ValidationError("Required for this channel.", "id")


class PlaceOrderInput(StrictSchema):
    items = fields.List(
        fields.Nested(OrderItemInput), required=True, validate=validate.Length(min=1, max=50)
    )
    channel = fields.Nested(ChannelInput, load_default=lambda: {"type": "shop", "id": None})
    note = Text(200, required=False, load_default="")
    coupon_id = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=32)
    )
    points_to_use = Int(0, 10**7, load_default=0)


PLACE_ORDER_INPUT = PlaceOrderInput()


class AttemptCaller(StrictSchema):
    """Who places an order of a batch: the claims the gateway verified (``Caller``'s context)."""

    tenant_id = Text(32, required=False, load_default=None, allow_none=True)
    account_id = Text(32, required=False, load_default=None, allow_none=True)
    member_id = Text(32, required=False, load_default=None, allow_none=True)
    role = Text(16, required=False, load_default=None, allow_none=True)
    correlation_id = Text(64, required=False, load_default=None, allow_none=True)
    issued_at = fields.Integer(load_default=None, allow_none=True, strict=True)


class OrderAttempt(StrictSchema):
    """One order of ``place_orders``; its ``payload`` is checked with the order
    (``PlaceOrderInput``)."""

    caller = fields.Nested(AttemptCaller, required=True)
    payload = fields.Raw(required=True)
    idempotency_key = idempotency.KeyField()


class OrderAttempts(StrictSchema):
    attempts = fields.List(
        fields.Nested(OrderAttempt), required=True, validate=validate.Length(min=1, max=200)
    )


ORDER_ATTEMPTS = OrderAttempts()


class PaidOrdersQuery(StrictSchema):
    """Paid orders not yet packed: those of a wave, or those outside waves paid in [from, to)."""

    wave_id = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=32)
    )
    paid_from = fields.AwareDateTime(load_default=None, allow_none=True)
    paid_to = fields.AwareDateTime(load_default=None, allow_none=True)

    @validates_schema
    def _one_group(self, data, **kwargs):
        if (data.get("wave_id") is None) == (
            data.get("paid_from") is None or data.get("paid_to") is None
        ):
            raise ValidationError("Either a wave_id, or paid_from and paid_to.", "_schema")


PAID_ORDERS_QUERY = PaidOrdersQuery()


class OrderQuery(PageSchema):
    status = fields.String(load_default=None, validate=validate.OneOf(ORDER_STATUSES))
    member_id = Text(32, required=False, load_default=None)


ORDER_QUERY = OrderQuery()


class LineOutput(Schema):
    product_id = fields.String()
    name = fields.String()
    unit = fields.String()
    unit_price_cents = fields.Integer()
    quantity = fields.Integer()


class TimelineOutput(Schema):
    status = fields.String()
    at = fields.AwareDateTime()
    by = fields.Function(
        lambda change: change.by.split(":", 1)[0]
    )  # member|leader|staff|provider|system


def _pickup(order):
    if order.pickup_code is None:
        return None
    return {
        "code": order.pickup_code,
        "point": order.pickup_point,
        "at": order.pickup_at.isoformat() if order.pickup_at else None,
    }


class AfterSaleOutput(Schema):
    id = fields.String()
    kind = fields.String()
    status = fields.String()
    at = fields.AwareDateTime()


class CompensationOutput(Schema):
    type = fields.String()
    amount = fields.Integer()
    at = fields.AwareDateTime()


class OrderOutput(Schema):
    id = fields.String()
    member_id = fields.String()
    status = fields.String()
    channel = fields.Function(lambda order: {"type": order.channel_type, "id": order.channel_id})
    lines = fields.List(fields.Nested(LineOutput))
    subtotal_cents = fields.Integer()
    discount_cents = fields.Integer()
    total_cents = fields.Integer()
    tier_discount_cents = fields.Integer()  # discount_cents = tier + coupon + points
    coupon_id = fields.String(allow_none=True)
    coupon_discount_cents = fields.Integer()
    points_used = fields.Integer()
    points_discount_cents = fields.Integer()
    note = fields.String()
    expires_at = fields.AwareDateTime()
    created_at = fields.AwareDateTime()
    timeline = fields.List(fields.Nested(TimelineOutput))
    pickup = fields.Function(_pickup)  # {code, point, at} once ready for pickup, else null
    after_sales = fields.List(fields.Nested(AfterSaleOutput))  # 售后 cases, oldest first
    compensations = fields.List(fields.Nested(CompensationOutput))


ORDER = OrderOutput()


# --- payments (payments) ---------------------------------------------------------------------


class PayInput(StrictSchema):
    method = fields.String(required=True, validate=validate.OneOf(["sandbox", "offline"]))


class RefundInput(StrictSchema):
    amount_cents = Int(1, 10**10, required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class OutcomeInput(StrictSchema):
    outcome = fields.String(required=True, validate=validate.OneOf(["succeeded", "failed"]))


class SandboxNotificationBody(TolerantSchema):
    notification_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    charge_id = fields.String(required=True, validate=validate.Length(min=1, max=32))
    status = fields.String(required=True, validate=validate.OneOf(["succeeded", "failed"]))
    amount_cents = Int(0, 10**10, required=True)


PAY_INPUT, OUTCOME_INPUT, NOTIFICATION = PayInput(), OutcomeInput(), SandboxNotificationBody()
REFUND_INPUT = RefundInput()


class PaymentOutput(Schema):
    """A payment; one by the sandbox provider still pending also carries its ``pay_url``, which
    only the provider knows (``payments.dump_payment`` adds it)."""

    id = fields.String()
    method = fields.String()
    status = fields.String()
    amount_cents = fields.Integer()
    refunded_cents = fields.Integer()


PAYMENT = PaymentOutput()


class SandboxChargeOutput(Schema):
    """What the sandbox provider's pay page shows the buyer."""

    charge_id = fields.String(attribute="id")
    amount_cents = fields.Integer()
    description = fields.String()
    status = fields.String()
    merchant = fields.Constant("邻里 Linli (sandbox)")


SANDBOX_CHARGE = SandboxChargeOutput()


# --- crm's checkout terms (checkout_terms) ---------------------------------------------------


class TermsData(TolerantSchema):
    """The ``terms`` of crm's ``apply_checkout`` answer, which orders remembers
    (``checkout_terms``)."""

    discount_percent = fields.Integer(required=True, validate=validate.Range(min=0, max=100))
    valid_until = fields.AwareDateTime(required=True)


TERMS = TermsData()
