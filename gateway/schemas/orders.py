"""Orders: placing, paying, cancelling, refunding."""

from marshmallow import Schema, fields, validate

from services.infra.schemas import Int, PageSchema, StrictSchema, Text


class OrderItem(StrictSchema):
    product_id = Text(32)
    quantity = Int(1, 999, required=True)


class Channel(StrictSchema):
    type = fields.String(required=True, validate=validate.OneOf(["shop", "wave", "live"]))
    id = Text(32, required=False, allow_none=True)


class PlaceOrder(StrictSchema):
    items = fields.List(
        fields.Nested(OrderItem), required=True, validate=validate.Length(min=1, max=50)
    )
    channel = fields.Nested(Channel)
    note = Text(200, required=False)
    coupon_id = fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=32),
        metadata={"description": "from GET /me/coupons"},
    )
    points_to_use = Int(0, 10**7, metadata={"description": "1 point = 1 fen"})


class OrderQuery(PageSchema):
    status = fields.String(
        validate=validate.OneOf(
            [
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
        )
    )
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
    pickup = fields.Nested(
        Pickup, allow_none=True, metadata={"description": "null until ready for pickup"}
    )
    after_sales = fields.List(
        fields.Dict(), metadata={"description": "售后 cases: [{id, kind, status, at}]"}
    )
    compensations = fields.List(
        fields.Dict(), metadata={"description": "[{type, amount, at}]: fen or points"}
    )


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


class RefundBody(StrictSchema):
    amount_cents = Int(1, 10**10, required=True)
    reason = Text(200)


class RefundResult(Schema):
    order_id = fields.String()
    status = fields.String()
    refunded_cents = fields.Integer()
    refundable_cents = fields.Integer()
