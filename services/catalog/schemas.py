"""What catalog accepts (strict) and what it answers."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

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


class ChannelInput(StrictSchema):
    """Where an order is placed: the shop (product price) or a wave (the wave's price and limits)."""

    type = fields.String(required=True, validate=validate.OneOf(["shop", "wave"]))
    id = Text(32, required=False, load_default=None, allow_none=True)


class ReservationInput(StrictSchema):
    reservation_key = Text(64)
    items = fields.List(
        fields.Nested(ReservationItem), required=True, validate=validate.Length(min=1, max=50)
    )
    channel = fields.Nested(ChannelInput, load_default=None, allow_none=True)

    @validates_schema
    def _wave_needs_its_id(self, data, **kwargs):
        channel = data.get("channel")
        if channel and channel["type"] == "wave" and not channel.get("id"):
            raise ValidationError({"id": ["A wave channel names its wave."]}, "channel")


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


MAX_WAVE_ITEMS = 100
MAX_PER_MEMBER = 999  # one order line holds at most 999 of a product


class WaveItemInput(StrictSchema):
    product_id = Text(32)
    price_cents = Int(1, MAX_PRICE_CENTS, required=True)
    quota = Int(1, MAX_STOCK, load_default=None, allow_none=True)
    per_member_limit = Int(1, MAX_PER_MEMBER, load_default=None, allow_none=True)


class WaveInput(StrictSchema):
    title = Text(60)
    cutoff_at = fields.AwareDateTime(required=True)
    pickup_at = fields.AwareDateTime(required=True)
    pickup_point = Text(100)
    packing_note = Text(2000, required=False, load_default="")
    items = fields.List(
        fields.Nested(WaveItemInput), required=True, validate=validate.Length(min=1, max=MAX_WAVE_ITEMS)
    )


class WaveQuery(PageSchema):
    status = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(["open", "closed"]))


class WaveItemOutput(Schema):
    product_id = fields.String()
    name = fields.String()
    unit = fields.String()
    price_cents = fields.Integer()
    quota = fields.Integer(allow_none=True)
    sold = fields.Integer()
    remaining = fields.Integer(allow_none=True)
    per_member_limit = fields.Integer(allow_none=True)


class WaveOutput(Schema):
    id = fields.String()
    title = fields.String()
    cutoff_at = fields.AwareDateTime()
    pickup_at = fields.AwareDateTime()
    pickup_point = fields.String()
    packing_note = fields.String()
    status = fields.String()
    closed_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
    items = fields.List(fields.Nested(WaveItemOutput))


WAVE = WaveOutput()
