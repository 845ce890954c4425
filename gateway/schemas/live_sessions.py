"""Live sessions (直播场次) and their comments (catalog)."""

from marshmallow import Schema, fields, validate

from services.infra.schemas import Int, PageSchema, StrictSchema, Text


class CoHost(StrictSchema):
    name = Text(40)
    role = Text(40)


class LiveItemBody(StrictSchema):
    product_id = Text(32)
    live_price_cents = Int(1, 10_000_000, required=True)
    quota = Int(1, 1_000_000, required=True)
    per_member_limit = Int(1, 999, allow_none=True)


class LiveSessionBody(StrictSchema):
    title = Text(60)
    host_persona = Text(200, metadata={"example": "90后宝妈, 营养师"})
    scheduled_at = fields.AwareDateTime(required=True)
    stream_url = fields.URL(
        schemes={"http", "https"},
        allow_none=True,
        validate=validate.Length(max=500),
        metadata={"description": "the HLS/FLV pull address of the leader's streaming provider"},
    )
    co_hosts = fields.List(fields.Nested(CoHost), validate=validate.Length(max=10))
    items = fields.List(
        fields.Nested(LiveItemBody), required=True, validate=validate.Length(min=1, max=100)
    )


class LiveItem(Schema):
    product_id = fields.String()
    name = fields.String()
    unit = fields.String()
    live_price_cents = fields.Integer()
    list_price_cents = fields.Integer()
    quota = fields.Integer()
    sold = fields.Integer()
    remaining = fields.Integer()
    per_member_limit = fields.Integer(allow_none=True)


class PinnedItem(Schema):
    product_id = fields.String()
    name = fields.String()
    live_price_cents = fields.Integer()


class LiveStats(Schema):
    viewers = fields.Integer(
        metadata={"description": "distinct members who were in the room while live"}
    )
    peak_viewers = fields.Integer()
    watching = fields.Integer()
    buyers = fields.Integer()
    orders = fields.Integer()
    gmv_cents = fields.Integer()
    conversion_rate = fields.Float(metadata={"description": "buyers / viewers"})


class LiveSession(Schema):
    id = fields.String()
    title = fields.String()
    host_persona = fields.String()
    co_hosts = fields.List(fields.Nested(CoHost))
    scheduled_at = fields.DateTime()
    stream_url = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "scheduled | live | ended"})
    started_at = fields.DateTime(allow_none=True)
    ended_at = fields.DateTime(allow_none=True)
    pinned = fields.Nested(PinnedItem, allow_none=True)
    items = fields.List(fields.Nested(LiveItem))
    stats = fields.Nested(LiveStats)
    created_at = fields.DateTime()


class LiveSessionQuery(PageSchema):
    status = fields.String(validate=validate.OneOf(["scheduled", "live", "ended"]))


class PinBody(StrictSchema):
    product_id = Text(32)


class CommentBody(StrictSchema):
    # Catalog judges the trimmed text (1-200 characters); this only turns away the absurd.
    text = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class LiveComment(Schema):
    id = fields.String()
    author = fields.String(metadata={"description": "masked, e.g. 李**"})
    text = fields.String()
    at = fields.DateTime()
    hidden = fields.Boolean()
