"""Health and liveness."""

from marshmallow import Schema, fields


class Health(Schema):
    status = fields.String()
    services = fields.Dict(keys=fields.String(), values=fields.String())
    down = fields.List(fields.String())


class Live(Schema):
    status = fields.String()
