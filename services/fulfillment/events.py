"""Events fulfilment publishes (through its outbox), and tolerant schemas of those it consumes."""

from marshmallow import fields

from services.infra.schemas import TolerantSchema

ORDER_PACKED = "order_packed"  # {order_id, member_id, at}
ORDER_DISPATCHED = "order_dispatched"  # {order_id, member_id, at}
ORDER_READY_FOR_PICKUP = (
    "order_ready_for_pickup"  # {order_id, member_id, at, pickup: {code, point, at}}
)
ORDER_PICKED_UP = "order_picked_up"  # {order_id, member_id, at}
# Still not collected some hours after it could be (取货提醒): crm files one reminder.
ORDER_PICKUP_OVERDUE = "order_pickup_overdue"
# {order_id, member_id, pickup_code, pickup_point, ready_at, items: [{name, quantity}]}
# After-sale (售后): orders shows cases and compensations on the order; crm gives coupons and
# points.
AFTER_SALE_OPENED = "after_sale_opened"  # {case_id, order_id, member_id, kind, at}
AFTER_SALE_REJECTED = (
    "after_sale_rejected"  # {case_id, order_id, member_id, kind, opened_at, reason, at}
)
COMPENSATION_GRANTED = "compensation_granted"
# {compensation_id, order_id, member_id, type: refund|coupon|points, amount, reason, at,
#  case_id (null when proactive), case_kind, case_opened_at}
# The event each step of the leader's moves (a wave, a batch, one order) announces.
MOVE_EVENTS = {
    "packed": ORDER_PACKED,
    "delivering": ORDER_DISPATCHED,
    "ready_for_pickup": ORDER_READY_FOR_PICKUP,
}


class OrderLineData(TolerantSchema):
    product_id = fields.String(required=True)
    name = fields.String(load_default="")
    quantity = fields.Integer(required=True)


class ChannelData(TolerantSchema):
    type = fields.String(required=True)
    id = fields.String(load_default=None, allow_none=True)


class OrderFactsData(TolerantSchema):
    order_id = fields.String(required=True)
    member_id = fields.String(required=True)
    channel = fields.Nested(ChannelData, required=True)
    lines = fields.List(fields.Nested(OrderLineData), required=True)
    total_cents = fields.Integer(load_default=0)


class OrderPaidData(OrderFactsData):
    paid_at = fields.AwareDateTime(load_default=None)


class OrderRefundedData(OrderFactsData):
    """``orders.order_refunded``: what has been given back so far, and whether it is all."""

    refunded_total_cents = fields.Integer(load_default=0)
    whole = fields.Boolean(load_default=False)


class MemberJoinedData(TolerantSchema):
    """``crm.member_joined``: who lives where, for picking lists and the pickup desk."""

    member_id = fields.String(required=True)
    name = fields.String(load_default="")
    building = fields.String(load_default="")
    unit = fields.String(load_default="")


class WaveClosedData(TolerantSchema):
    """``catalog.wave_closed``: when and where a wave's orders are picked up."""

    wave_id = fields.String(required=True)
    title = fields.String(load_default="")
    pickup_at = fields.AwareDateTime(required=True)
    pickup_point = fields.String(required=True)
    packing_note = fields.String(load_default="")
    units = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)


class CommunityCreatedData(TolerantSchema):
    """``crm.community_created``: the community's name, for the slips' heading."""

    community_id = fields.String(required=True)
    name = fields.String(load_default="")
    timezone = fields.String(load_default="Asia/Shanghai")
