"""Products (catalog)."""

from marshmallow import Schema, fields, validate

from services.infra.schemas import Int, PageSchema, StrictSchema, Text


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
