"""Tolerant schemas of the events referral consumes. It publishes none yet."""

from marshmallow import fields

from services.infra.schemas import TolerantSchema


class MemberJoinedData(TolerantSchema):
    member_id = fields.String(required=True)
    community_slug = fields.String(required=True)
    status = fields.String(required=True)
    invite_code = fields.String(load_default=None, allow_none=True)
