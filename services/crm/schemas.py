"""What crm accepts (strict) and what it answers."""

from datetime import date

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.infra.schemas import StrictSchema, Text

PHONE = validate.Regexp(r"^1[3-9]\d{9}$", error="Enter an 11-digit mainland mobile number.")
SLUG = validate.Regexp(
    r"^[a-z0-9][a-z0-9-]{2,39}$", error="3-40 lowercase letters, digits or dashes."
)


def Password():
    return fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=128))


class LeaderSignupInput(StrictSchema):
    community_name = Text(60)
    slug = fields.String(required=True, validate=SLUG)
    phone = fields.String(required=True, validate=PHONE)
    password = Password()
    display_name = Text(40)


class LoginInput(StrictSchema):
    phone = fields.String(required=True, validate=PHONE)
    password = fields.String(required=True, validate=validate.Length(min=1, max=128))
    community = fields.String(load_default=None, allow_none=True, validate=SLUG)


class JoinInput(StrictSchema):
    phone = fields.String(required=True, validate=PHONE)
    password = Password()
    name = Text(40)
    building = Text(20)
    unit = Text(20)
    invite_code = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^[A-Za-z0-9]{4,16}$"))
    birthday = fields.Date(load_default=None, allow_none=True)

    @validates_schema
    def _birthday_past(self, data, **kwargs):
        if data.get("birthday") is not None and data["birthday"] > date.today():
            raise ValidationError("A birthday cannot be in the future.", "birthday")


class StaffInput(StrictSchema):
    """The leader adds a helper (团长助理): validated like a leader's signup."""

    phone = fields.String(required=True, validate=PHONE)
    password = Password()
    display_name = Text(40)


class StaffOutput(Schema):
    """A staff account as the leader sees it: never its password hash."""

    id = fields.String()
    phone = fields.String()
    display_name = fields.String()
    role = fields.String()
    created_at = fields.AwareDateTime()


class CommunityOutput(Schema):
    id = fields.String()
    slug = fields.String()
    name = fields.String()
    leader_display_name = fields.String()
    timezone = fields.String()


class CommunityCard(Schema):
    slug = fields.String()
    name = fields.String()
    leader_display_name = fields.String()
    members_total = fields.Integer()


class MemberOutput(Schema):
    id = fields.String()
    name = fields.String()
    building = fields.String()
    unit = fields.String()
    birthday = fields.String(allow_none=True)
    status = fields.String()
    tags = fields.List(fields.String())
    created_at = fields.AwareDateTime()


COMMUNITY = CommunityOutput()
STAFF = StaffOutput()
MEMBER = MemberOutput()
