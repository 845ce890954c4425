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


PRODUCT_INPUT = ProductInput()


class ProductQuery(PageSchema):
    category = Text(40, required=False, load_default=None)


PRODUCT_QUERY = ProductQuery()


class ReservationItem(StrictSchema):
    product_id = Text(32)
    quantity = Int(1, 999, required=True)


class ChannelInput(StrictSchema):
    """Where an order is placed: the shop (product price), a wave or a live session (the
    channel's price, quota and limits)."""

    type = fields.String(required=True, validate=validate.OneOf(["shop", "wave", "live"]))
    id = Text(32, required=False, load_default=None, allow_none=True)


class ReservationInput(StrictSchema):
    reservation_key = Text(64)
    items = fields.List(
        fields.Nested(ReservationItem), required=True, validate=validate.Length(min=1, max=50)
    )
    channel = fields.Nested(ChannelInput, load_default=None, allow_none=True)

    @validates_schema
    def _channel_needs_its_id(self, data, **kwargs):
        channel = data.get("channel")
        if channel and channel["type"] != "shop" and not channel.get("id"):
            raise ValidationError(
                {"id": ["A wave or live channel names its wave or session."]}, "channel"
            )


RESERVATION_INPUT = ReservationInput()


MAX_BATCH_RESERVATIONS = 200


class BatchCallerInput(StrictSchema):
    """Whom one reservation of a batch acts for: the member who placed that order."""

    tenant_id = Text(32)
    member_id = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=32)
    )
    correlation_id = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=128)
    )


class BatchReservationInput(StrictSchema):
    caller = fields.Nested(BatchCallerInput, required=True)
    # Checked per item by ``reserve_stock`` (``ReservationInput``): a bad one is that item's error.
    reservation = fields.Dict(required=True)


class ReserveStocksInput(StrictSchema):
    requests = fields.List(
        fields.Nested(BatchReservationInput),
        required=True,
        validate=validate.Length(min=1, max=MAX_BATCH_RESERVATIONS),
    )


RESERVE_STOCKS_INPUT = ReserveStocksInput()


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
        fields.Nested(WaveItemInput),
        required=True,
        validate=validate.Length(min=1, max=MAX_WAVE_ITEMS),
    )


WAVE_INPUT = WaveInput()


class WaveQuery(PageSchema):
    status = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(["open", "closed"])
    )


WAVE_QUERY = WaveQuery()


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


MAX_LIVE_ITEMS = 100
MAX_CO_HOSTS = 10
MAX_COMMENT = 200


class StrippedString(fields.String):
    """A string judged (and kept) without its surrounding whitespace."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


class CoHostInput(StrictSchema):
    name = Text(40)
    role = Text(40)


class LiveItemInput(StrictSchema):
    product_id = Text(32)
    live_price_cents = Int(1, MAX_PRICE_CENTS, required=True)
    quota = Int(1, MAX_STOCK, required=True)
    per_member_limit = Int(1, MAX_PER_MEMBER, load_default=None, allow_none=True)


class LiveSessionInput(StrictSchema):
    title = Text(60)
    host_persona = Text(200)
    scheduled_at = fields.AwareDateTime(required=True)
    stream_url = fields.URL(
        schemes={"http", "https"},
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=500),
    )
    co_hosts = fields.List(
        fields.Nested(CoHostInput), load_default=list, validate=validate.Length(max=MAX_CO_HOSTS)
    )
    items = fields.List(
        fields.Nested(LiveItemInput),
        required=True,
        validate=validate.Length(min=1, max=MAX_LIVE_ITEMS),
    )


LIVE_INPUT = LiveSessionInput()


class LiveSessionQuery(PageSchema):
    status = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(["scheduled", "live", "ended"])
    )


LIVE_QUERY = LiveSessionQuery()


class PinInput(StrictSchema):
    product_id = Text(32)


PIN_INPUT = PinInput()


class CommentInput(StrictSchema):
    text = StrippedString(required=True, validate=validate.Length(min=1, max=MAX_COMMENT))


COMMENT_INPUT = CommentInput()
COMMENT_QUERY = PageSchema()


class RoomJoinInput(StrictSchema):
    """What the gateway's websocket names when a viewer enters a room."""

    session_id = Text(32)
    connection_id = Text(64)
    instance_id = Text(64)


ROOM_JOIN = RoomJoinInput()


class PresenceRefreshInput(StrictSchema):
    instance_id = Text(64)
    connection_ids = fields.List(Text(64), required=True, validate=validate.Length(max=100_000))


PRESENCE_REFRESH = PresenceRefreshInput()


class PinnedOutput(Schema):
    product_id = fields.String()
    name = fields.String()
    live_price_cents = fields.Integer()


class LiveItemOutput(Schema):
    product_id = fields.String()
    name = fields.String()
    unit = fields.String()
    live_price_cents = fields.Integer()
    list_price_cents = fields.Integer()
    quota = fields.Integer()
    sold = fields.Integer()
    remaining = fields.Integer()
    per_member_limit = fields.Integer(allow_none=True)


class LiveStatsOutput(Schema):
    viewers = fields.Integer()
    peak_viewers = fields.Integer()
    watching = fields.Integer()
    buyers = fields.Integer()
    orders = fields.Integer()
    gmv_cents = fields.Integer()
    conversion_rate = fields.Float()


class CoHostOutput(Schema):
    name = fields.String()
    role = fields.String()


class LiveSessionOutput(Schema):
    id = fields.String()
    title = fields.String()
    host_persona = fields.String()
    co_hosts = fields.List(fields.Nested(CoHostOutput))
    scheduled_at = fields.AwareDateTime()
    stream_url = fields.String(allow_none=True)
    status = fields.String()
    started_at = fields.AwareDateTime(allow_none=True)
    ended_at = fields.AwareDateTime(allow_none=True)
    pinned = fields.Nested(PinnedOutput, allow_none=True)
    items = fields.List(fields.Nested(LiveItemOutput))
    stats = fields.Nested(LiveStatsOutput)
    created_at = fields.AwareDateTime()


LIVE_SESSION = LiveSessionOutput()


class CommentOutput(Schema):
    id = fields.String()
    author = fields.String()
    text = fields.String()
    at = fields.AwareDateTime()
    hidden = fields.Boolean()


COMMENT = CommentOutput()
