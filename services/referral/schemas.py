"""What referral accepts (strict): the programme's rules, purchase showcases (晒单), and the
queries of its lists and leaderboard. Referral answers with plain views (``_view`` functions
next to their use cases)."""

from marshmallow import fields, validate

from services.infra.schemas import Int, PageSchema, StrictBoolean, StrictSchema, Text

# --- invitations (handlers) ------------------------------------------------------------------


class ReferralQuery(PageSchema):
    status = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(["joined", "rewarded", "refused", "revoked"]),
    )


REFERRAL_QUERY = ReferralQuery()


# --- the leaderboard (leaderboard) -----------------------------------------------------------


class LeaderboardQuery(StrictSchema):
    period = fields.String(load_default="week", validate=validate.OneOf(["week", "month"]))


LEADERBOARD_QUERY = LeaderboardQuery()


# --- the programme's rules (program) ---------------------------------------------------------

MAX_REWARD_CENTS = 100_000  # 1,000 yuan: beyond that a typo, not a reward


class ProgramInput(StrictSchema):
    """A partial update: only the keys given change."""

    referrer_reward_cents = Int(0, MAX_REWARD_CENTS)
    invitee_reward_cents = Int(0, MAX_REWARD_CENTS)
    min_first_order_cents = Int(0, 10_000_000)
    weekly_cap = Int(1, 1000)
    allow_same_household = StrictBoolean()
    showcase_points = Int(0, 10_000)


PROGRAM_INPUT = ProgramInput()


# --- purchase showcases (showcases) ----------------------------------------------------------


class ShowcaseInput(StrictSchema):
    order_id = Text(32)
    text = Text(500)
    image_url = fields.URL(
        load_default=None,
        allow_none=True,
        schemes={"http", "https"},
        validate=validate.Length(max=500),
    )


class ShowcaseQuery(PageSchema):
    status = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(["pending", "approved", "rejected"]),
    )


SHOWCASE_INPUT, SHOWCASE_QUERY = ShowcaseInput(), ShowcaseQuery()
