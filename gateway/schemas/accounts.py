"""Communities, sign-up and login, who I am, staff accounts (团长助理) and my inbox."""

from marshmallow import Schema, fields, validate

from services.infra.schemas import StrictSchema, Text

PHONE = validate.Regexp(r"^1[3-9]\d{9}$", error="Enter an 11-digit mainland mobile number.")


SLUG = validate.Regexp(
    r"^[a-z0-9][a-z0-9-]{2,39}$", error="3-40 lowercase letters, digits or dashes."
)


def Password():
    return fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=128))


class LeaderSignup(StrictSchema):
    community_name = Text(60)
    slug = fields.String(required=True, validate=SLUG)
    phone = fields.String(required=True, validate=PHONE)
    password = Password()
    display_name = Text(40)


class Login(StrictSchema):
    phone = fields.String(required=True, validate=PHONE)
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=1, max=128)
    )
    community = fields.String(load_default=None, allow_none=True, validate=SLUG)


class Join(StrictSchema):
    phone = fields.String(required=True, validate=PHONE)
    password = Password()
    name = Text(40)
    building = Text(20)
    unit = Text(20)
    invite_code = fields.String(
        load_default=None, allow_none=True, validate=validate.Regexp(r"^[A-Za-z0-9]{4,16}$")
    )
    birthday = fields.Date(load_default=None, allow_none=True)


class Community(Schema):
    id = fields.String()
    slug = fields.String()
    name = fields.String()
    leader_display_name = fields.String()
    timezone = fields.String()
    suspended = fields.Boolean(
        metadata={"description": "suspended by the platform: its members cannot order"}
    )
    suspended_reason = fields.String(allow_none=True)


class CommunityCard(Schema):
    slug = fields.String()
    name = fields.String()
    leader_display_name = fields.String()
    members_total = fields.Integer()
    suspended = fields.Boolean(
        metadata={"description": "suspended by the platform: its members cannot order"}
    )
    suspended_reason = fields.String(allow_none=True)


class Session(Schema):
    token = fields.String()
    role = fields.String()
    community = fields.Nested(Community)


class JoinResult(Session):
    member = fields.Dict()


class Me(Schema):
    role = fields.String()
    account = fields.Dict()
    community = fields.Nested(Community)
    member = fields.Dict(allow_none=True)


class StaffBody(StrictSchema):
    """The leader adds a helper (团长助理), who logs in with this phone and password."""

    phone = fields.String(required=True, validate=PHONE)
    password = Password()
    display_name = Text(40)


class StaffAccount(Schema):
    id = fields.String()
    phone = fields.String()
    display_name = fields.String()
    role = fields.String(metadata={"description": "staff"})
    created_at = fields.DateTime()


class StaffList(Schema):
    items = fields.List(fields.Nested(StaffAccount))


class InboxMessage(Schema):
    id = fields.String()
    kind = fields.String()
    title = fields.String()
    body = fields.String()
    order_id = fields.String(allow_none=True)
    read = fields.Boolean()
    created_at = fields.DateTime()
