"""Events catalog publishes (through its outbox), and tolerant schemas of those it consumes."""

from marshmallow import fields

from services.infra.schemas import TolerantSchema

PRODUCT_CREATED = "product_created"
WAVE_CLOSED = "wave_closed"  # {wave_id, title, pickup_at, pickup_point, closed_at, packing_note, units}


class OrderCancelledData(TolerantSchema):
    """``orders.order_cancelled``: the order's id is its stock reservation's key."""

    order_id = fields.String(required=True)
