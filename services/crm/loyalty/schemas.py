"""What loyalty accepts (strict): coupon specs, checkout, the leader's adjustments, the rewards
catalogue. The tolerant schemas of the events it reads are in ``services.crm.events``."""

from marshmallow import ValidationError, fields, validate, validates_schema

from services.crm import events
from services.infra.schemas import (
    Int,
    PageSchema,
    StrictBoolean,
    StrictSchema,
    Text,
)

MAX_COUPON_CENTS = 100_000_000
REWARD_KINDS = ("goods_coupon", "coupon")


class CouponSpec(StrictSchema):
    """What a coupon is worth and for how long: fixed ``amount_cents`` off, or ``percent`` off
    capped at ``cap_cents``; usable from a minimum spend, for ``valid_days`` from now."""

    kind = fields.String(required=True, validate=validate.OneOf(["fixed", "percent"]))
    amount_cents = Int(1, MAX_COUPON_CENTS)
    percent = Int(1, 90)
    cap_cents = Int(1, MAX_COUPON_CENTS)
    min_spend_cents = Int(0, MAX_COUPON_CENTS, load_default=0)
    valid_days = Int(1, 3650, required=True)

    @validates_schema
    def _fields_of_kind(self, data, **kwargs):
        errors = {}
        if data["kind"] == "fixed":
            if "amount_cents" not in data:
                errors["amount_cents"] = ["Required for a fixed coupon."]
            for field in ("percent", "cap_cents"):
                if field in data:
                    errors[field] = ["Only for a percent coupon."]
        else:
            for field in ("percent", "cap_cents"):
                if field not in data:
                    errors[field] = ["Required for a percent coupon."]
            if "amount_cents" in data:
                errors["amount_cents"] = ["Only for a fixed coupon."]
        if errors:
            raise ValidationError(errors)


class AdjustInput(StrictSchema):
    delta = Int(-(10**7), 10**7, required=True)
    reason = Text(200)

    @validates_schema
    def _not_zero(self, data, **kwargs):
        if data.get("delta") == 0:
            raise ValidationError("Must not be 0.", "delta")


class CouponQuery(PageSchema):
    status = fields.String(
        load_default="available",
        validate=validate.OneOf(["available", "locked", "redeemed", "expired", "all"]),
    )


class CheckoutInput(StrictSchema):
    order_id = Text(32)
    member_id = Text(32)
    subtotal_cents = Int(0, 10**10, required=True)
    coupon_id = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=32)
    )
    points_to_use = Int(0, 10**7, load_default=0)


COUPON_SPEC, COUPON_QUERY, CHECKOUT_INPUT = CouponSpec(), CouponQuery(), CheckoutInput()
ADJUST_INPUT = AdjustInput()
LEDGER_QUERY, ORDER_DATA = PageSchema(), events.OrderMoneyData()


# --- the rewards catalogue -------------------------------------------------------------------


class GoodsSpec(StrictSchema):
    product_id = Text(32)
    amount_cents = Int(1, MAX_COUPON_CENTS)
    valid_days = Int(1, 3650, required=True)


class RewardInput(StrictSchema):
    name = Text(60)
    points_cost = Int(1, 10**7, required=True)
    kind = fields.String(required=True, validate=validate.OneOf(REWARD_KINDS))
    coupon = fields.Dict(required=True)
    active = StrictBoolean(load_default=True)

    @validates_schema
    def _spec(self, data, **kwargs):
        schema = GoodsSpec() if data["kind"] == "goods_coupon" else CouponSpec()
        try:
            data["coupon"] = schema.load(data["coupon"])
        except ValidationError as exc:
            raise ValidationError({"coupon": exc.messages}) from None


class RewardPatch(StrictSchema):
    name = Text(60, required=False)
    points_cost = Int(1, 10**7)
    active = StrictBoolean()

    @validates_schema
    def _something(self, data, **kwargs):
        if not data:
            raise ValidationError("Nothing to change.", "_schema")


REWARD_INPUT, REWARD_PATCH, REWARD_QUERY = RewardInput(), RewardPatch(), PageSchema()
