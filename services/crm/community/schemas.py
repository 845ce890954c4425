"""What the community's settings accept (strict), and how a community is shown."""

from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from services.crm.community.buildings import building_key
from services.infra.schemas import Int, StrictSchema, Text

ADMISSION_MODES = ("open", "approval", "invite_or_approval")


class TierInput(StrictSchema):
    name = Text(20)
    min_spend_cents = Int(0, 10**10, required=True)
    discount_percent = Int(0, 30, required=True)


class AdmissionInput(StrictSchema):
    mode = fields.String(required=True, validate=validate.OneOf(ADMISSION_MODES))
    allowed_buildings = fields.List(Text(20), load_default=list, validate=validate.Length(max=200))

    @validates_schema
    def _named(self, data, **kwargs):
        if any(not building_key(name) for name in data.get("allowed_buildings", [])):
            raise ValidationError("A building needs a name.", "allowed_buildings")

    @post_load
    def _distinct(self, data, **kwargs):
        data["allowed_buildings"] = list(
            dict.fromkeys(name.strip() for name in data["allowed_buildings"])
        )
        return data


CLOCK = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", error="A time of day as HH:MM.")


class QuietHoursInput(StrictSchema):
    start = fields.String(required=True, validate=CLOCK)
    end = fields.String(required=True, validate=CLOCK)


class SettingsInput(StrictSchema):
    """A partial update: only the keys given change."""

    admission = fields.Nested(AdmissionInput)
    welcome_guide = fields.String(validate=validate.Length(max=5000))
    points_per_yuan = Int(0, 100)
    tiers = fields.List(fields.Nested(TierInput), validate=validate.Length(min=1, max=10))
    max_points_ratio_percent = Int(0, 100)
    reminder_hour = Int(0, 23)
    quiet_hours = fields.Nested(QuietHoursInput)

    @validates_schema
    def _tiers_in_order(self, data, **kwargs):
        tiers = data.get("tiers")
        if not tiers:
            return
        problems = []
        if tiers[0]["min_spend_cents"] != 0:
            problems.append("The first tier starts at 0 spend.")
        if tiers[0]["discount_percent"] != 0:
            problems.append("The first tier has no discount.")
        for lower, higher in zip(tiers, tiers[1:], strict=False):
            if higher["min_spend_cents"] <= lower["min_spend_cents"]:
                problems.append(f"{higher['name']}: minimum spend must be above {lower['name']}'s.")
            if higher["discount_percent"] < lower["discount_percent"]:
                problems.append(f"{higher['name']}: discount must not be below {lower['name']}'s.")
        if len({tier["name"] for tier in tiers}) != len(tiers):
            problems.append("Tier names must differ.")
        if problems:
            raise ValidationError(problems, "tiers")


SETTINGS_INPUT = SettingsInput()


def community_view(community):
    """A community as anyone who may see it sees it (no settings)."""
    return {
        "id": community.id,
        "slug": community.slug,
        "name": community.name,
        "leader_display_name": community.leader_display_name,
        "timezone": community.timezone,
        **suspension_view(community),
    }


def suspension_view(community):
    """What members see of a suspension (a notice, and no ordering): ``suspended`` and why."""
    suspended = community.status == "suspended"
    return {
        "suspended": suspended,
        "suspended_reason": community.suspended_reason if suspended else None,
    }
