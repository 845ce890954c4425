"""Points and coupons (crm)."""

from marshmallow import Schema, fields, validate

from services.infra.schemas import Int, PageSchema, StrictSchema, Text


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
    delta = Int(
        -(10**7),
        10**7,
        required=True,
        metadata={"description": "points to add (negative: take away)"},
    )
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
    status = fields.String(
        validate=validate.OneOf(["available", "locked", "redeemed", "expired", "all"])
    )
