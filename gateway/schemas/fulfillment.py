"""Fulfilment (履约): moving orders, pickup, picking and purchase lists, the storeroom, and the
batches of orders outside waves."""

from marshmallow import Schema, fields, validate

from gateway.schemas.orders import Pickup
from services.infra.schemas import Int, StrictSchema, Text


class WaveFulfillmentBody(StrictSchema):
    status = fields.String(
        required=True, validate=validate.OneOf(["packed", "delivering", "ready_for_pickup"])
    )


class WaveFulfillment(Schema):
    wave_id = fields.String()
    status = fields.String()
    moved = fields.Integer()


class PickupVerifyBody(StrictSchema):
    code = fields.String(required=True, validate=validate.Regexp(r"^\d{6}$", error="Six digits."))


class PickupMember(Schema):
    name = fields.String()
    building = fields.String()
    unit = fields.String()


class PickedItem(Schema):
    product_id = fields.String()
    name = fields.String()
    quantity = fields.Integer()


class PickupVerified(Schema):
    order_id = fields.String()
    member = fields.Nested(PickupMember)
    items = fields.List(fields.Nested(PickedItem))


class PickingListQuery(StrictSchema):
    group_by = fields.String(load_default="product", validate=validate.OneOf(["product", "member"]))
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))


class PickingProduct(PickedItem):
    orders = fields.Integer()


class PickingMember(Schema):
    member_id = fields.String()
    name = fields.String()
    orders = fields.List(fields.String())
    items = fields.List(fields.Nested(PickedItem))


class PickingUnit(Schema):
    unit = fields.String()
    members = fields.List(fields.Nested(PickingMember))


class PickingBuilding(Schema):
    building = fields.String()
    units = fields.List(fields.Nested(PickingUnit))


class PickingWave(Schema):
    title = fields.String()
    pickup_at = fields.DateTime()
    pickup_point = fields.String()


class PickingList(Schema):
    wave_id = fields.String()
    group_by = fields.String()
    wave = fields.Nested(PickingWave, allow_none=True)
    orders = fields.Integer()
    total_quantity = fields.Integer()
    products = fields.List(
        fields.Nested(PickingProduct), metadata={"description": "group_by=product"}
    )
    buildings = fields.List(
        fields.Nested(PickingBuilding), metadata={"description": "group_by=member"}
    )


class PurchaseListQuery(StrictSchema):
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))


class PurchaseProduct(PickingProduct):
    unit = fields.String()
    on_hand = fields.Integer(
        metadata={"description": "what the leader already has (PUT /stock-on-hand)"}
    )
    to_buy = fields.Integer(
        metadata={"description": "quantity - on_hand, at least 0: what to order"}
    )


class StockOnHandBody(StrictSchema):
    quantity = Int(0, 1_000_000, required=True)


class StockOnHand(Schema):
    product_id = fields.String()
    quantity = fields.Integer()
    updated_at = fields.AwareDateTime()


class PurchaseList(Schema):
    wave_id = fields.String()
    title = fields.String()
    needed_by = fields.DateTime(allow_none=True, metadata={"description": "the wave's pickup time"})
    orders = fields.Integer()
    products = fields.List(fields.Nested(PurchaseProduct))


class PackingSlipsQuery(StrictSchema):
    paper = fields.String(load_default="a4", validate=validate.OneOf(["a4", "80mm"]))


class OrderFulfillmentBody(WaveFulfillmentBody):
    pickup_point = Text(
        200, required=False, metadata={"description": "for an order no wave gives a pickup"}
    )
    pickup_at = fields.AwareDateTime(load_default=None)


class OrderFulfillment(Schema):
    order_id = fields.String()
    status = fields.String()
    moved = fields.Boolean()
    pickup = fields.Nested(Pickup, allow_none=True)


class BatchQuery(StrictSchema):
    date = fields.Date(required=True)


class BatchMoveBody(StrictSchema):
    date = fields.Date(required=True)
    pickup_point = Text(200)
    status = fields.String(
        required=True, validate=validate.OneOf(["packed", "delivering", "ready_for_pickup"])
    )


class Batch(Schema):
    pickup_point = fields.String()
    orders = fields.Integer()
    total_quantity = fields.Integer()
    statuses = fields.Dict(metadata={"description": "orders per step: to_pack, packed, ..."})
    order_ids = fields.List(fields.String())
    products = fields.List(fields.Dict())


class Batches(Schema):
    date = fields.Date()
    batches = fields.List(fields.Nested(Batch))


class BatchMoved(Schema):
    date = fields.Date()
    pickup_point = fields.String()
    status = fields.String()
    moved = fields.Integer()
