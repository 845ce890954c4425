"""Events catalog publishes (through its outbox), and tolerant schemas of those it consumes."""

from marshmallow import fields

from services.infra.schemas import TolerantSchema

PRODUCT_CREATED = "product_created"
# {product_id, name, category, tags, price_cents, in_stock, on_sale}; product_updated also on the
# transitions out of / back in stock and off / on sale (not on every stock change).
PRODUCT_UPDATED = "product_updated"
WAVE_CLOSED = (
    "wave_closed"  # {wave_id, title, pickup_at, pickup_point, closed_at, packing_note, units}
)

LIVE_ROOM_CHANGED = "live_room_changed"
"""Something changed in a live room (直播间): ``{"session_id", "message"}``.

``message`` is exactly what the gateway's websocket pushes to the room's viewers, one of:

- ``{"type": "status", "status": "scheduled"|"live"|"ended", "started_at", "ended_at"}``
- ``{"type": "pinned", "product_id", "name", "live_price_cents"}`` (讲解中)
- ``{"type": "comment", "comment": {"id", "author", "text", "at"}}`` (author masked: 李**)
- ``{"type": "comment_hidden", "comment_id"}``
- ``{"type": "purchase", "buyer": "李**", "items": [{"product_id", "name", "quantity"}]}``
- ``{"type": "stock", "items": [{"product_id", "remaining"}]}`` (after a purchase, in the
  same transaction, and after a release)
- ``{"type": "viewers", "watching", "viewers", "peak_viewers"}``

Datetimes are ISO-8601 with offset (``null`` when not yet).
"""


class OrderCancelledData(TolerantSchema):
    """``orders.order_cancelled``: the order's id is its stock reservation's key."""

    order_id = fields.String(required=True)


class MemberJoinedData(TolerantSchema):
    """``crm.member_joined``: only the display name, masked before it is stored."""

    member_id = fields.String(required=True)
    name = fields.String(load_default="")
