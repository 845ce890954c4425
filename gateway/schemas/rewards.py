"""The rewards catalogue (积分兑换) and redemptions (crm)."""

from marshmallow import Schema, fields, validate

from gateway.schemas.loyalty import Coupon
from services.infra.schemas import Int, StrictBoolean, StrictSchema, Text


class RewardBody(StrictSchema):
    name = Text(60)
    points_cost = Int(1, 10**7, required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["goods_coupon", "coupon"]))
    coupon = fields.Dict(
        required=True,
        metadata={
            "description": "goods_coupon: {product_id, valid_days, amount_cents?} "
            "(a fixed coupon worth the product's price, that price as minimum spend); "
            "coupon: as POST /members/{id}/coupons"
        },
    )
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
