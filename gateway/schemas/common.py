"""Shared by every area: the problem+json body, pages of items, a deletion's answer."""

from marshmallow import INCLUDE, Schema, fields


class Problem(Schema):
    """RFC 9457 problem details; a problem may add members of its own (``product_id``,
    ``available``, ``reason``...), which the document allows."""

    class Meta:
        unknown = INCLUDE

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    # A field's messages, or for a nested field (items.0.quantity) an object of the same shape.
    errors = fields.Dict(
        keys=fields.String(),
        metadata={
            "description": "field -> [messages], "
            "or field -> {index or field -> ...} for nested input"
        },
    )


def page_of(item_schema):
    """``{"items": [...], "next_cursor"}`` around ``item_schema`` (for the OpenAPI document)."""
    return type(
        f"{item_schema.__name__}Page",
        (Schema,),
        {
            "items": fields.List(fields.Nested(item_schema)),
            "next_cursor": fields.String(allow_none=True),
        },
    )


class Deleted(Schema):
    id = fields.String()
    deleted = fields.Boolean()
