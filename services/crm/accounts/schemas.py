"""What accounts accept (strict): a leader's signup, a login, a staff account."""

from marshmallow import fields, validate

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


class StaffInput(StrictSchema):
    """The leader adds a helper (团长助理): validated like a leader's signup."""

    phone = fields.String(required=True, validate=PHONE)
    password = Password()
    display_name = Text(40)


SIGNUP_INPUT, LOGIN_INPUT, STAFF_INPUT = LeaderSignupInput(), LoginInput(), StaffInput()


def staff_view(account):
    """A staff account as the leader sees it: never its password hash."""
    return {
        "id": account.id,
        "phone": account.phone,
        "display_name": account.display_name,
        "role": account.role,
        "created_at": account.created_at.isoformat(),
    }
