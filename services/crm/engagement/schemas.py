"""What engagement accepts (strict): campaigns (their trigger, audience, actions, schedule)
and posts."""

from marshmallow import ValidationError, fields, validate, validates_schema

from services.crm.loyalty import MAX_COUPON_CENTS
from services.infra.schemas import Int, PageSchema, StrictBoolean, StrictSchema, Text

TRIGGERS = ("repurchase_due", "birthday", "member_joined", "inactive")
ACTIONS = ("message", "coupon", "points")
DEFAULT_DAYS = {"inactive": 30, "repurchase_due": 1}
MAX_TEMPLATE = 500


class TriggerInput(StrictSchema):
    type = fields.String(required=True, validate=validate.OneOf(TRIGGERS))
    days = Int(1, 365)

    @validates_schema
    def _days(self, data, **kwargs):
        if "days" in data and data.get("type") not in DEFAULT_DAYS:
            raise ValidationError("Only for inactive and repurchase_due.", "days")


class AudienceInput(StrictSchema):
    tags_any = fields.List(Text(40), validate=validate.Length(max=20))


class ActionInput(StrictSchema):
    type = fields.String(required=True, validate=validate.OneOf(ACTIONS))
    template = fields.String(validate=validate.Length(min=1, max=MAX_TEMPLATE))
    amount_cents = Int(1, MAX_COUPON_CENTS)
    min_spend_cents = Int(0, MAX_COUPON_CENTS)
    valid_days = Int(1, 3650)
    amount = Int(1, 100_000)

    @validates_schema
    def _fields_of_type(self, data, **kwargs):
        needed = {
            "message": ("template",),
            "coupon": ("amount_cents", "valid_days"),
            "points": ("amount",),
        }
        allowed = {
            "message": {"template"},
            "coupon": {"amount_cents", "min_spend_cents", "valid_days"},
            "points": {"amount"},
        }
        kind = data["type"]
        errors = {key: ["Required for this action."] for key in needed[kind] if key not in data}
        errors.update(
            {
                key: [f"Not for a {kind} action."]
                for key in data
                if key != "type" and key not in allowed[kind]
            }
        )
        if kind == "message" and "template" in data and not data["template"].strip():
            errors["template"] = ["Must not be blank."]
        if errors:
            raise ValidationError(errors)


class ScheduleInput(StrictSchema):
    hour = Int(0, 23)


class CampaignInput(StrictSchema):
    name = Text(60)
    trigger = fields.Nested(TriggerInput, required=True)
    audience = fields.Nested(AudienceInput, load_default=dict)
    actions = fields.List(
        fields.Nested(ActionInput), required=True, validate=validate.Length(min=1, max=5)
    )
    schedule = fields.Nested(ScheduleInput, load_default=dict)
    active = StrictBoolean(load_default=True)


class CampaignPatch(StrictSchema):
    name = Text(60, required=False)
    audience = fields.Nested(AudienceInput)
    actions = fields.List(fields.Nested(ActionInput), validate=validate.Length(min=1, max=5))
    schedule = fields.Nested(ScheduleInput)
    active = StrictBoolean()

    @validates_schema
    def _something(self, data, **kwargs):
        if not data:
            raise ValidationError("Nothing to change.", "_schema")


CAMPAIGN_INPUT, CAMPAIGN_PATCH, CAMPAIGN_QUERY = CampaignInput(), CampaignPatch(), PageSchema()


# --- posts -----------------------------------------------------------------------------------

POST_KINDS = ("knowledge", "event")


class PostInput(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(POST_KINDS))
    title = Text(80)
    body = Text(10000)
    event_at = fields.AwareDateTime(allow_none=True, load_default=None)
    published = StrictBoolean(load_default=True)

    @validates_schema
    def _event_has_a_time(self, data, partial=None, **kwargs):
        kind = data.get("kind")
        if kind == "event" and not data.get("event_at") and not partial:
            raise ValidationError("An event needs its date and time.", "event_at")
        if kind == "knowledge" and data.get("event_at"):
            raise ValidationError("Only an event has a date and time.", "event_at")


class PostQuery(PageSchema):
    kind = fields.String(load_default=None, validate=validate.OneOf(POST_KINDS))


POST_INPUT, POST_QUERY = PostInput(), PostQuery()
