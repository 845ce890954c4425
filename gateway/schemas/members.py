"""Members: the admission queue, profiles, tags (crm)."""

from marshmallow import Schema, fields, validate

from services.infra.schemas import PageSchema, StrictBoolean, StrictSchema, Text


class MemberQuery(PageSchema):
    status = fields.String(
        validate=validate.OneOf(["pending", "active", "rejected"]),
        metadata={"description": "pending = the approval queue"},
    )
    tag = fields.String(
        validate=validate.Length(min=1, max=40),
        metadata={"description": "a manual or automatic tag"},
    )
    q = fields.String(
        validate=validate.Length(min=1, max=40),
        metadata={"description": "part of the name, the phone's last digits, or the building"},
    )


class MemberPatch(StrictSchema):
    tags_add = fields.List(Text(20), validate=validate.Length(max=30))
    tags_remove = fields.List(Text(20), validate=validate.Length(max=30))
    note = fields.String(validate=validate.Length(max=2000))


class ProfilePatch(StrictSchema):
    building = Text(20, required=False)
    unit = Text(20, required=False)
    birthday = fields.Date(allow_none=True, metadata={"description": "not in the future"})
    household_notes = fields.String(validate=validate.Length(max=500))
    email = fields.String(
        allow_none=True,
        validate=validate.Length(max=254),
        metadata={"description": "optional: the community's e-mail channel also writes here"},
    )
    reminders_opt_out = StrictBoolean(metadata={"description": "true: no repurchase reminders"})


class MemberSummary(Schema):
    id = fields.String()
    name = fields.String()
    phone = fields.String()
    building = fields.String()
    unit = fields.String()
    birthday = fields.String(allow_none=True)
    status = fields.String()
    tags = fields.List(fields.String(), metadata={"description": "the leader's (manual)"})
    auto_tags = fields.List(
        fields.String(), metadata={"description": "kept current from purchases"}
    )
    reminders_opt_out = fields.Boolean()
    email = fields.String(allow_none=True, metadata={"description": "in the member's own profile"})
    household_notes = fields.String(metadata={"description": "in the member's own profile"})
    created_at = fields.DateTime()


class MemberTags(Schema):
    manual = fields.List(fields.String())
    auto = fields.List(fields.String())


class MemberDetail(Schema):
    id = fields.String()
    name = fields.String()
    phone = fields.String()
    building = fields.String()
    unit = fields.String()
    birthday = fields.String(allow_none=True)
    status = fields.String()
    email = fields.String(allow_none=True)
    household_notes = fields.String()
    reminders_opt_out = fields.Boolean()
    note = fields.String()
    tags = fields.Nested(MemberTags)
    auto_tags = fields.List(fields.String())
    points = fields.Integer()
    points_held = fields.Integer()
    tier = fields.Dict()
    order_stats = fields.Dict(metadata={"description": "paid_orders, spent_cents, last_order_at"})
    repurchase_predictions = fields.List(
        fields.Dict(),
        metadata={
            "description": "[{product_id (null for a category), category, name, interval_days, "
            "next_due_at, last_purchase_at, purchases, confidence (0..1)}]"
        },
    )
    activated_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
