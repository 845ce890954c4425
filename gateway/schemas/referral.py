"""Invitations, the referral program's rules and the leaderboard (referral)."""

from marshmallow import Schema, fields, validate

from services.infra.schemas import Int, PageSchema, StrictBoolean, StrictSchema


class Referral(Schema):
    invite_code = fields.String()
    invite_url = fields.String()
    invited = fields.Integer()
    rewarded = fields.Integer()


class ReferralSettingsBody(StrictSchema):
    """A partial update of the referral program's rules."""

    referrer_reward_cents = Int(
        0, 100_000, metadata={"description": "coupon for the inviter (0: none)"}
    )
    invitee_reward_cents = Int(
        0, 100_000, metadata={"description": "coupon for the invitee (0: none)"}
    )
    min_first_order_cents = Int(
        0, 10_000_000, metadata={"description": "the first order must reach this"}
    )
    weekly_cap = Int(1, 1000, metadata={"description": "rewarded invitations per inviter per week"})
    allow_same_household = StrictBoolean()
    showcase_points = Int(0, 10_000, metadata={"description": "points for an approved showcase"})


class ReferralSettings(Schema):
    referrer_reward_cents = fields.Integer()
    invitee_reward_cents = fields.Integer()
    min_first_order_cents = fields.Integer()
    weekly_cap = fields.Integer()
    allow_same_household = fields.Boolean()
    showcase_points = fields.Integer()


class ReferralRecordQuery(PageSchema):
    status = fields.String(validate=validate.OneOf(["joined", "rewarded", "refused", "revoked"]))


class ReferralRecord(Schema):
    id = fields.String()
    referrer_id = fields.String()
    referrer_name = fields.String()
    invitee_id = fields.String()
    invitee_name = fields.String()
    status = fields.String(metadata={"description": "joined|rewarded|refused|revoked"})
    reason = fields.String(
        allow_none=True,
        metadata={
            "description": "self_invite|same_household|below_minimum|weekly_cap|"
            "first_order_refunded"
        },
    )
    first_order_id = fields.String(allow_none=True)
    first_order_cents = fields.Integer(allow_none=True)
    referrer_reward_cents = fields.Integer()
    invitee_reward_cents = fields.Integer()
    rewarded_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class LeaderboardQuery(StrictSchema):
    period = fields.String(validate=validate.OneOf(["week", "month"]))


class LeaderboardEntry(Schema):
    rank = fields.Integer()
    name = fields.String(metadata={"description": "masked: 李**"})
    count = fields.Integer()
    me = fields.Boolean()


class Leaderboard(Schema):
    period = fields.String()
    since = fields.DateTime()
    items = fields.List(fields.Nested(LeaderboardEntry))
