"""What the live room's websocket reads from catalog's events (the upgrade itself has no body)."""

from marshmallow import fields

from services.infra.schemas import TolerantSchema


class LiveRoomChanged(TolerantSchema):
    """catalog's ``live_room_changed`` envelope, as far as the gateway reads it."""

    tenant_id = fields.String(required=True)
    data = fields.Dict(required=True)


class LiveRoomMessage(TolerantSchema):
    session_id = fields.String(required=True)
    message = fields.Dict(required=True)
