"""After-sale (售后) cases and compensations (fulfilment)."""

from marshmallow import Schema, fields, validate

from services.infra.schemas import Int, PageSchema, StrictSchema, Text


class AfterSaleBody(StrictSchema):
    kind = fields.String(
        required=True, validate=validate.OneOf(["damaged", "missing", "quality", "other"])
    )
    description = Text(1000)
    photo_url = fields.Url(
        schemes={"http", "https"},
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=500),
    )


class CompensationBody(StrictSchema):
    type = fields.String(required=True, validate=validate.OneOf(["refund", "coupon", "points"]))
    amount = Int(
        1, 10**9, required=True, metadata={"description": "fen (refund, coupon) or points"}
    )


class ResolveAfterSaleBody(StrictSchema):
    compensation = fields.Nested(CompensationBody, required=True)


class RejectAfterSaleBody(StrictSchema):
    reason = Text(200)


class CompensateBody(CompensationBody):
    reason = Text(200)


class AfterSaleQuery(PageSchema):
    status = fields.String(
        load_default=None, validate=validate.OneOf(["open", "resolved", "rejected"])
    )


class Compensation(Schema):
    id = fields.String()
    order_id = fields.String()
    case_id = fields.String(allow_none=True)
    type = fields.String()
    amount = fields.Integer()
    reason = fields.String()
    status = fields.String(metadata={"description": "pending (refund on its way) | granted"})
    created_at = fields.DateTime()


class AfterSale(Schema):
    id = fields.String()
    order_id = fields.String()
    member_id = fields.String()
    kind = fields.String()
    description = fields.String()
    photo_url = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "open | resolved | rejected"})
    reject_reason = fields.String(allow_none=True)
    created_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    compensation = fields.Nested(Compensation, allow_none=True)
