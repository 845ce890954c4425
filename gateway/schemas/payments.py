"""The sandbox payment provider's pay page."""

from marshmallow import Schema, fields, validate

from services.infra.schemas import StrictSchema


class SandboxOutcome(StrictSchema):
    outcome = fields.String(required=True, validate=validate.OneOf(["succeeded", "failed"]))


class SandboxCharge(Schema):
    charge_id = fields.String()
    amount_cents = fields.Integer()
    description = fields.String()
    status = fields.String()
    merchant = fields.String()
