"""Automated campaigns (自动化营销, crm)."""

from marshmallow import Schema, fields, validate

from services.infra.schemas import Int, StrictBoolean, StrictSchema, Text


class CampaignTrigger(StrictSchema):
    type = fields.String(
        required=True,
        validate=validate.OneOf(["repurchase_due", "birthday", "member_joined", "inactive"]),
    )
    days = Int(
        1,
        365,
        metadata={
            "description": "inactive: days without a paid order (30); "
            "repurchase_due: days before the due date (1)"
        },
    )


class CampaignAudience(StrictSchema):
    tags_any = fields.List(Text(40), validate=validate.Length(max=20))


class CampaignAction(StrictSchema):
    type = fields.String(required=True, validate=validate.OneOf(["message", "coupon", "points"]))
    template = fields.String(
        validate=validate.Length(min=1, max=500),
        metadata={"description": "message: {name}, {product}, {community} are filled in"},
    )
    amount_cents = Int(1, 100_000_000, metadata={"description": "coupon: fixed amount off"})
    min_spend_cents = Int(0, 100_000_000)
    valid_days = Int(1, 3650)
    amount = Int(1, 100_000, metadata={"description": "points"})


class CampaignSchedule(StrictSchema):
    hour = Int(0, 23, metadata={"description": "not before this hour (community time)"})


class CampaignBody(StrictSchema):
    name = Text(60)
    trigger = fields.Nested(CampaignTrigger, required=True)
    audience = fields.Nested(CampaignAudience)
    actions = fields.List(
        fields.Nested(CampaignAction), required=True, validate=validate.Length(min=1, max=5)
    )
    schedule = fields.Nested(CampaignSchedule)
    active = StrictBoolean()


class CampaignPatch(StrictSchema):
    name = Text(60, required=False)
    audience = fields.Nested(CampaignAudience)
    actions = fields.List(fields.Nested(CampaignAction), validate=validate.Length(min=1, max=5))
    schedule = fields.Nested(CampaignSchedule)
    active = StrictBoolean()


class CampaignStats(Schema):
    sent = fields.Integer()
    converted = fields.Integer(metadata={"description": "followed by a paid order within 7 days"})
    revenue_cents = fields.Integer()


class Campaign(Schema):
    id = fields.String()
    name = fields.String()
    trigger = fields.Dict()
    audience = fields.Dict()
    actions = fields.List(fields.Dict())
    schedule = fields.Dict()
    active = fields.Boolean()
    system = fields.String(
        allow_none=True, metadata={"description": "birthday: the community's default greeting"}
    )
    stats = fields.Nested(CampaignStats)
    created_at = fields.DateTime()
