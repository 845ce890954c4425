"""Showcases (晒单): members show off a completed order (referral)."""

from marshmallow import Schema, fields, validate

from services.infra.schemas import PageSchema, StrictSchema, Text


class ShowcaseBody(StrictSchema):
    order_id = Text(32)
    text = Text(500)
    image_url = fields.URL(
        allow_none=True, schemes={"http", "https"}, validate=validate.Length(max=500)
    )


class ShowcaseQuery(PageSchema):
    status = fields.String(validate=validate.OneOf(["pending", "approved", "rejected"]))


class Showcase(Schema):
    id = fields.String()
    order_id = fields.String(
        allow_none=True, metadata={"description": "the author's and staff's view only"}
    )
    member_id = fields.String(allow_none=True)
    author = fields.String(metadata={"description": "masked for other members"})
    text = fields.String()
    image_url = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "pending|approved|rejected"})
    points = fields.Integer()
    mine = fields.Boolean()
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
