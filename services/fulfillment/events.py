"""Tolerant schemas of the events fulfilment consumes. It publishes none yet."""

from marshmallow import fields

from services.infra.schemas import TolerantSchema


class OrderLineData(TolerantSchema):
    product_id = fields.String(required=True)
    name = fields.String(load_default="")
    quantity = fields.Integer(required=True)


class ChannelData(TolerantSchema):
    type = fields.String(required=True)
    id = fields.String(load_default=None, allow_none=True)


class OrderPlacedData(TolerantSchema):
    order_id = fields.String(required=True)
    member_id = fields.String(required=True)
    channel = fields.Nested(ChannelData, required=True)
    lines = fields.List(fields.Nested(OrderLineData), required=True)
