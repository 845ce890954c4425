"""Notification channels (webhook, SMTP) and what they delivered (crm)."""

from marshmallow import Schema, fields, validate

from services.infra.schemas import Int, PageSchema, StrictBoolean, StrictSchema, Text


class ChannelBody(StrictSchema):
    """``{type: webhook, url}`` (a WeCom group robot receives {"msgtype": "text", ...}) or
    ``{type: smtp, host, port, username?, password?, from, to, starttls?}``."""

    type = fields.String(required=True, validate=validate.OneOf(["webhook", "smtp"]))
    name = Text(40, required=False)
    url = fields.String(
        validate=validate.Length(min=8, max=500), metadata={"description": "http(s) only"}
    )
    host = fields.String(validate=validate.Length(min=1, max=253))
    port = Int(1, 65535)
    username = fields.String(validate=validate.Length(min=1, max=200))
    password = fields.String(
        load_only=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "never returned"},
    )
    sender = fields.String(data_key="from", validate=validate.Length(max=254))
    to = fields.List(
        fields.String(validate=validate.Length(max=254)), validate=validate.Length(min=1, max=20)
    )
    starttls = StrictBoolean()


class NotificationChannel(Schema):
    id = fields.String()
    type = fields.String()
    name = fields.String(allow_none=True)
    url = fields.String(metadata={"description": "webhook: its secret query masked"})
    host = fields.String()
    port = fields.Integer()
    username = fields.String(allow_none=True)
    sender = fields.String(data_key="from")
    to = fields.List(fields.String())
    starttls = fields.Boolean()
    password_set = fields.Boolean()
    created_at = fields.DateTime()


class ChannelList(Schema):
    items = fields.List(fields.Nested(NotificationChannel))


class DeliveryQuery(PageSchema):
    status = fields.String(validate=validate.OneOf(["pending", "delivered", "failed"]))


class Delivery(Schema):
    id = fields.String()
    channel_id = fields.String()
    kind = fields.String()
    subject = fields.String()
    recipient = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "pending|delivered|failed"})
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    next_attempt_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    delivered_at = fields.DateTime(allow_none=True)
