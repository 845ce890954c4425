"""What members accept (strict): joining, the leader's and the member's own profile changes,
the member list's filters; and how a member is shown."""

from datetime import date

from marshmallow import ValidationError, fields, validate, validates_schema

from services.crm.accounts.schemas import PHONE, Password
from services.crm.notifications.schemas import EMAIL
from services.infra.schemas import PageSchema, StrictBoolean, StrictSchema, Text

STATUSES = ("pending", "active", "rejected")
MAX_MANUAL_TAGS = 30


class JoinInput(StrictSchema):
    phone = fields.String(required=True, validate=PHONE)
    password = Password()
    name = Text(40)
    building = Text(20)
    unit = Text(20)
    invite_code = fields.String(
        load_default=None, allow_none=True, validate=validate.Regexp(r"^[A-Za-z0-9]{4,16}$")
    )
    birthday = fields.Date(load_default=None, allow_none=True)

    @validates_schema
    def _birthday_past(self, data, **kwargs):
        if data.get("birthday") is not None and data["birthday"] > date.today():
            raise ValidationError("A birthday cannot be in the future.", "birthday")


class MemberQuery(PageSchema):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    tag = fields.String(load_default=None, validate=validate.Length(min=1, max=40))
    q = fields.String(load_default=None, validate=validate.Length(min=1, max=40))


class MemberPatch(StrictSchema):
    """The leader's part of a profile: manual tags and a private note."""

    tags_add = fields.List(
        Text(20), load_default=list, validate=validate.Length(max=MAX_MANUAL_TAGS)
    )
    tags_remove = fields.List(
        Text(20), load_default=list, validate=validate.Length(max=MAX_MANUAL_TAGS)
    )
    note = fields.String(validate=validate.Length(max=2000))

    @validates_schema
    def _something_and_no_overlap(self, data, **kwargs):
        clash = {t.strip() for t in data.get("tags_add", [])} & {
            t.strip() for t in data.get("tags_remove", [])
        }
        if clash:
            raise ValidationError(
                f"Both added and removed: {', '.join(sorted(clash))}.", "tags_remove"
            )
        if any(not tag.strip() for tag in data.get("tags_add", [])):
            raise ValidationError("A tag needs a name.", "tags_add")
        if not data.get("tags_add") and not data.get("tags_remove") and "note" not in data:
            raise ValidationError("Nothing to change.", "_schema")


class ProfilePatch(StrictSchema):
    """The member's own part of their profile."""

    building = fields.String(validate=validate.Length(min=1, max=20))
    unit = fields.String(validate=validate.Length(min=1, max=20))
    birthday = fields.Date(allow_none=True)
    household_notes = fields.String(validate=validate.Length(max=500))
    email = fields.String(allow_none=True, validate=[validate.Length(max=254), EMAIL])
    reminders_opt_out = StrictBoolean()

    @validates_schema
    def _sensible(self, data, **kwargs):
        birthday = data.get("birthday")
        if birthday is not None and birthday > date.today():
            raise ValidationError("A birthday cannot be in the future.", "birthday")
        if birthday is not None and birthday.year < 1900:
            raise ValidationError("Enter a real birthday.", "birthday")
        for field in ("building", "unit"):
            if field in data and not data[field].strip():
                raise ValidationError("Must not be blank.", field)
        if not data:
            raise ValidationError("Nothing to change.", "_schema")


MEMBER_QUERY, MEMBER_PATCH, PROFILE_PATCH = MemberQuery(), MemberPatch(), ProfilePatch()
JOIN_INPUT = JoinInput()


def member_card(member):
    """The member as the leader's list and the member's own ``/me`` show them."""
    return {
        "id": member.id,
        "name": member.name,
        "building": member.building,
        "unit": member.unit,
        "birthday": member.birthday,
        "status": member.status,
        "tags": member.tags,
        "created_at": member.created_at.isoformat(),
    }
