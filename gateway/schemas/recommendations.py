"""Products recommended to a member (crm)."""

from marshmallow import Schema, fields


class Recommendation(Schema):
    product_id = fields.String()
    name = fields.String()
    reason = fields.String(metadata={"description": "bought_together|upgrade|popular"})
    score = fields.Integer()


class Recommendations(Schema):
    items = fields.List(fields.Nested(Recommendation))
