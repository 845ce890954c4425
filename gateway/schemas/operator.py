"""The platform operator's console: login, service health, parked events, communities,
failing deliveries and the audit trail."""

from marshmallow import Schema, fields, validate

from services.infra.schemas import PageSchema, StrictSchema, Text
from services.infra.topology import SERVICES

PARKED_STATUSES = ("retrying", "parked", "resolved", "discarded")


class OperatorLogin(StrictSchema):
    phone = fields.String(required=True, validate=validate.Length(min=1, max=20))
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=1, max=128)
    )


class OperatorSession(Schema):
    token = fields.String()
    role = fields.String()
    community = fields.Dict(
        allow_none=True, metadata={"description": "always null: an operator has none"}
    )


class ServicesHealth(Schema):
    services = fields.Dict(keys=fields.String(), values=fields.String())
    down = fields.List(fields.String())


class ParkedQuery(StrictSchema):
    service = fields.String(
        validate=validate.OneOf(SERVICES), metadata={"description": "one service; all if absent"}
    )
    status = fields.String(validate=validate.OneOf(PARKED_STATUSES))


class ParkedEvent(Schema):
    service = fields.String()
    id = fields.Integer()
    event_id = fields.String()
    event_type = fields.String(allow_none=True)
    consumer = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    last_error = fields.String()
    payload = fields.Raw()
    next_attempt_at = fields.String(allow_none=True)


class ParkedList(Schema):
    items = fields.List(fields.Nested(ParkedEvent))
    unavailable = fields.List(
        fields.String(), metadata={"description": "services that did not answer"}
    )


class Replay(StrictSchema):
    """Optional: a corrected event (the whole envelope) to send round instead of the parked one."""

    payload = fields.Dict(load_default=None, allow_none=True)


class ParkedAction(Schema):
    service = fields.String()
    id = fields.Integer()
    status = fields.String()


class CommunitiesQuery(PageSchema):
    status = fields.String(validate=validate.OneOf(("active", "suspended")))


class CommunityRow(Schema):
    id = fields.String()
    name = fields.String()
    slug = fields.String()
    leader = fields.Dict()
    members_total = fields.Integer()
    orders_last_30_days = fields.Integer(
        metadata={"description": "orders paid in the last 30 days"}
    )
    created_at = fields.String()
    status = fields.String()
    suspended_reason = fields.String(allow_none=True)
    suspended_at = fields.String(allow_none=True)


class Suspend(StrictSchema):
    reason = Text(200)


class CommunityStatus(Schema):
    slug = fields.String()
    status = fields.String()
    suspended_reason = fields.String(allow_none=True)


class DeliveriesQuery(PageSchema):
    status = fields.String(validate=validate.OneOf(("failed", "pending", "delivered")))


class DeliveryRow(Schema):
    id = fields.String()
    community = fields.String()
    channel_id = fields.String()
    kind = fields.String()
    subject = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    created_at = fields.String()
    next_attempt_at = fields.String(allow_none=True)


class AuditQuery(PageSchema):
    action = fields.String(
        validate=validate.OneOf(("login", "replay", "discard", "suspend", "resume"))
    )


class AuditEntry(Schema):
    id = fields.String()
    actor = fields.String()
    action = fields.String()
    target = fields.String()
    outcome = fields.String()
    details = fields.Dict()
    created_at = fields.String()
