"""What catalog accepts (strict) and what it answers."""

from marshmallow import Schema, fields, validate

from services.infra.schemas import Int, PageSchema, StrictSchema, Text

MAX_PRICE_CENTS = 10_000_000  # 100,000 yuan: no neighbourhood product costs more
MAX_STOCK = 1_000_000


class ProductInput(StrictSchema):
    name = Text(80)
    description = Text(2000, required=False, load_default="")
    story = Text(4000, required=False, load_default="")
    honest_notes = Text(2000, required=False, load_default="")
    category = Text(40, required=False, load_default="")
    tags = fields.List(Text(20), load_default=list, validate=validate.Length(max=20))
    unit = Text(16, required=False, load_default="件")
    price_cents = Int(0, MAX_PRICE_CENTS, required=True)
    stock = Int(0, MAX_STOCK, load_default=0)
    image_url = fields.URL(load_default=None, allow_none=True, validate=validate.Length(max=500))
    status = fields.String(load_default="on_sale", validate=validate.OneOf(["on_sale", "off_sale"]))


class ProductQuery(PageSchema):
    category = Text(40, required=False, load_default=None)


class ReservationItem(StrictSchema):
    product_id = Text(32)
    quantity = Int(1, 999, required=True)


class ReservationInput(StrictSchema):
    reservation_key = Text(64)
    items = fields.List(
        fields.Nested(ReservationItem), required=True, validate=validate.Length(min=1, max=50)
    )


class ProductOutput(Schema):
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
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


PRODUCT = ProductOutput()
