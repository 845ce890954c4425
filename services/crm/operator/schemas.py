"""What the operator's use cases accept (strict)."""

from marshmallow import fields, validate

from services.crm.accounts.schemas import PHONE
from services.infra.schemas import PageSchema, StrictSchema, Text

SUSPENDED, ACTIVE = "suspended", "active"
ACTIONS = ("login", "replay", "discard", "suspend", "resume")
OUTCOMES = ("ok", "refused", "failed")


class OperatorLoginInput(StrictSchema):
    phone = fields.String(required=True, validate=PHONE)
    password = fields.String(required=True, validate=validate.Length(min=1, max=128))


class SuspendInput(StrictSchema):
    reason = Text(200)


class CommunitiesQuery(PageSchema):
    status = fields.String(load_default=None, validate=validate.OneOf((ACTIVE, SUSPENDED)))


class DeliveriesQuery(PageSchema):
    status = fields.String(
        load_default="failed", validate=validate.OneOf(("failed", "pending", "delivered"))
    )


class AuditQuery(PageSchema):
    action = fields.String(load_default=None, validate=validate.OneOf(ACTIONS))


class AuditEntryInput(StrictSchema):
    """An action the gateway did on another service (a parked event's replay or discard)."""

    action = fields.String(required=True, validate=validate.OneOf(ACTIONS))
    target = fields.String(required=True, validate=validate.Length(min=1, max=200))
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    details = fields.Dict(load_default=dict)


LOGIN_INPUT, SUSPEND_INPUT = OperatorLoginInput(), SuspendInput()
COMMUNITIES_QUERY, DELIVERIES_QUERY, AUDIT_QUERY = (
    CommunitiesQuery(),
    DeliveriesQuery(),
    AuditQuery(),
)
AUDIT_ENTRY_INPUT = AuditEntryInput()
