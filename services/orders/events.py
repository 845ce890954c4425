"""Events orders publishes (through its outbox), and tolerant schemas of those it consumes."""

from marshmallow import fields, validate

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


class TermsChangedData(TolerantSchema):
    """``crm.checkout_terms_changed``: one member's, or (no member) the whole community's."""

    member_id = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=32)
    )


class AfterSaleOpenedData(TolerantSchema):
    case_id = fields.String(required=True)
    order_id = fields.String(required=True)
    kind = fields.String(required=True)
    at = fields.AwareDateTime(required=True)


class AfterSaleRejectedData(TolerantSchema):
    case_id = fields.String(required=True)
    order_id = fields.String(required=True)
    kind = fields.String(required=True)
    opened_at = fields.AwareDateTime(required=True)


class CompensationGrantedData(TolerantSchema):
    compensation_id = fields.String(required=True)
    order_id = fields.String(required=True)
    type = fields.String(required=True)
    amount = fields.Integer(required=True)
    at = fields.AwareDateTime(required=True)
    case_id = fields.String(load_default=None, allow_none=True)
    case_kind = fields.String(load_default=None, allow_none=True)
    case_opened_at = fields.AwareDateTime(load_default=None, allow_none=True)


class CommunityStatusChangedData(TolerantSchema):
    """``crm.community_suspended`` (with its reason) / ``crm.community_resumed``."""

    community_id = fields.String(required=True)
    reason = fields.String(load_default=None, allow_none=True)
    at = fields.AwareDateTime(required=True)
