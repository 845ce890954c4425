"""Knowledge and event posts (crm)."""

from marshmallow import Schema, fields, validate

from services.infra.schemas import PageSchema, StrictBoolean, StrictSchema, Text


class PostBody(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(["knowledge", "event"]))
    title = Text(80)
    body = Text(10000)
    event_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": "required for an event"}
    )
    published = StrictBoolean(metadata={"description": "default true; false keeps a draft"})


class PostQuery(PageSchema):
    kind = fields.String(validate=validate.OneOf(["knowledge", "event"]))


class Post(Schema):
    id = fields.String()
    kind = fields.String()
    title = fields.String()
    body = fields.String()
    event_at = fields.DateTime(allow_none=True)
    status = fields.String(metadata={"description": "published|draft"})
    published_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
