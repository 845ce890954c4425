"""Group-buy waves (团期, catalog)."""

from marshmallow import Schema, fields, validate

from services.infra.schemas import Int, PageSchema, StrictSchema, Text


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
    items = fields.List(
        fields.Nested(WaveItemBody), required=True, validate=validate.Length(min=1, max=100)
    )


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
