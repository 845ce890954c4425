"""What notifications accept (strict): a channel, the delivery list's filter."""

from marshmallow import ValidationError, fields, validate, validates_schema

from services.infra.schemas import Int, PageSchema, StrictBoolean, StrictSchema, Text

EMAIL = validate.Email(error="Not an e-mail address.")


class ChannelInput(StrictSchema):
    type = fields.String(required=True, validate=validate.OneOf(["webhook", "smtp"]))
    name = Text(40, required=False)
    url = fields.String(validate=validate.Length(min=8, max=500))
    host = fields.String(validate=validate.Length(min=1, max=253))
    port = Int(1, 65535)
    username = fields.String(validate=validate.Length(min=1, max=200))
    password = fields.String(load_only=True, validate=validate.Length(min=1, max=200))
    sender = fields.String(data_key="from", validate=[validate.Length(max=254), EMAIL])
    to = fields.List(
        fields.String(validate=[validate.Length(max=254), EMAIL]),
        validate=validate.Length(min=1, max=20),
    )
    starttls = StrictBoolean(load_default=True)

    @validates_schema
    def _fields_of_type(self, data, **kwargs):
        needed = {"webhook": ("url",), "smtp": ("host", "port", "sender", "to")}[data["type"]]
        foreign = {
            "webhook": ("host", "port", "username", "password", "sender", "to"),
            "smtp": ("url",),
        }[data["type"]]
        errors = {
            ("from" if key == "sender" else key): ["Required for this type."]
            for key in needed
            if key not in data
        }
        errors.update(
            {key: [f"Not for a {data['type']} channel."] for key in foreign if key in data}
        )
        if data["type"] == "smtp" and ("username" in data) != ("password" in data):
            errors["password"] = ["A username and a password go together."]
        if errors:
            raise ValidationError(errors)


class DeliveryQuery(PageSchema):
    status = fields.String(
        load_default=None, validate=validate.OneOf(["pending", "delivered", "failed"])
    )


CHANNEL_INPUT, DELIVERY_QUERY = ChannelInput(), DeliveryQuery()
