"""Events orders publishes (through its outbox), and tolerant schemas of those it consumes."""

from marshmallow import fields

from services.infra.schemas import TolerantSchema

ORDER_PLACED = "order_placed"
ORDER_PAID = "order_paid"
ORDER_CANCELLED = "order_cancelled"
ORDER_REFUNDED = "order_refunded"
ORDER_COMPLETED = "order_completed"


class FulfilmentStepData(TolerantSchema):
    """``fulfillment.order_packed`` / ``order_dispatched`` / ``order_picked_up``."""

    order_id = fields.String(required=True)
    member_id = fields.String(load_default=None, allow_none=True)
    at = fields.AwareDateTime(load_default=None, allow_none=True)


class PickupData(TolerantSchema):
    code = fields.String(required=True)
    point = fields.String(required=True)
    at = fields.AwareDateTime(required=True)


class ReadyForPickupData(FulfilmentStepData):
    """``fulfillment.order_ready_for_pickup``: with the pickup code, place and time."""

    pickup = fields.Nested(PickupData, required=True)
