"""The community's settings: tiers, admission, guide, reminders, quiet hours (crm), and the
referral program's rules (referral's schemas)."""

from marshmallow import Schema, fields, validate

from gateway.schemas.referral import ReferralSettings, ReferralSettingsBody
from services.infra.schemas import Int, StrictSchema, Text


class Tier(StrictSchema):
    name = Text(20)
    min_spend_cents = Int(0, 10**10, required=True)
    discount_percent = Int(0, 30, required=True)


class AdmissionBody(StrictSchema):
    mode = fields.String(
        required=True,
        validate=validate.OneOf(["open", "approval", "invite_or_approval"]),
        metadata={
            "description": "open: active at once; approval: the leader decides; "
            "invite_or_approval: active with an invite code, else the leader decides"
        },
    )
    allowed_buildings = fields.List(
        Text(20),
        validate=validate.Length(max=200),
        metadata={"description": "residents only; empty = any building"},
    )


class QuietHours(StrictSchema):
    start = fields.String(
        required=True,
        validate=validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$"),
        metadata={"description": "HH:MM, community time (start == end: none)"},
    )
    end = fields.String(required=True, validate=validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$"))


class SettingsBody(StrictSchema):
    """A partial update: only the keys given change (tiers: strictly increasing minimum spend
    from 0, discounts not decreasing)."""

    points_per_yuan = Int(0, 100)
    tiers = fields.List(fields.Nested(Tier), validate=validate.Length(min=1, max=10))
    max_points_ratio_percent = Int(
        0, 100, metadata={"description": "at most this share of an order in points"}
    )
    referral = fields.Nested(
        ReferralSettingsBody, metadata={"description": "the referral program (referral)"}
    )
    admission = fields.Nested(AdmissionBody, metadata={"description": "who may join, and how"})
    welcome_guide = fields.String(
        validate=validate.Length(max=5000),
        metadata={"description": "新人指南: every member finds it in the inbox once, when active"},
    )
    reminder_hour = Int(
        0, 23, metadata={"description": "repurchase reminders go out at this hour (community time)"}
    )
    quiet_hours = fields.Nested(
        QuietHours, metadata={"description": "nothing automated is sent in between"}
    )


class CommunitySettings(Schema):
    points_per_yuan = fields.Integer()
    tiers = fields.List(fields.Nested(Tier))
    max_points_ratio_percent = fields.Integer()
    points_value = fields.Dict(metadata={"description": "fixed: 100 points = 100 cents (1 yuan)"})
    admission = fields.Dict()
    welcome_guide = fields.String()
    reminder_hour = fields.Integer()
    quiet_hours = fields.Dict()
    referral = fields.Nested(ReferralSettings)
