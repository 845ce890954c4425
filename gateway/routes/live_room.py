"""The live room's websocket (see ``gateway.live_room``): joining, leaving and the fan-out."""

from nameko.events import BROADCAST, event_handler
from nameko.timer import timer

from gateway.http import ROUTES
from gateway.live_room import URL, LiveRoom, viewer_event
from gateway.routes.roles import ANYONE
from gateway.schemas.live_room import LiveRoomChanged, LiveRoomMessage
from services.infra.errors import DomainError
from services.infra.schemas import load

# Documented in the OpenAPI document like the HTTP routes (the upgrade answers 101).
ROUTES.append(
    (
        "GET",
        URL,
        {
            "roles": ANYONE,
            "operation_id": "live_room",
            "tag": "live",
            "status": "101",
            "summary": "The live room (websocket): a snapshot first, then "
            "{type: status|pinned|comment|comment_hidden|purchase|stock|viewers}. "
            "Token: Authorization header, or subprotocols ['linli.v1', <token>] from a browser.",
        },
    )
)

LIVE_ROOM_CHANGED = LiveRoomChanged()
LIVE_ROOM_MESSAGE = LiveRoomMessage()


class LiveRoomRoutes:
    live_room = LiveRoom()

    @viewer_event("join")
    def join_live_room(self, session_id, connection_id):
        return self.call(
            "catalog", "join_live_room", session_id, connection_id, self.live_room.instance_id
        )

    @viewer_event("leave")
    def leave_live_room(self, session_id, connection_id):
        return self.call("catalog", "leave_live_room", connection_id)

    @viewer_event("confirm")
    def confirm_live_viewer(self, session_id, connection_id):
        """A staff viewer's access, asked again (``LiveRoomServer.recheck_staff``)."""
        self.confirm_access()

    # Every gateway process gets every change (a queue of its own, gone when the process is).
    @event_handler("catalog", "live_room_changed", handler_type=BROADCAST, reliable_delivery=False)
    def on_live_room_changed(self, payload):
        try:
            envelope = load(LIVE_ROOM_CHANGED, payload)
            data = load(LIVE_ROOM_MESSAGE, envelope["data"])
        except DomainError:
            return  # nothing a viewer could use
        if isinstance(data["message"].get("type"), str):
            self.live_room.broadcast(envelope["tenant_id"], data["session_id"], data["message"])

    @timer(interval=10)
    def refresh_live_presence(self):
        """Tell catalog which viewers are still here (rows of vanished processes expire), and
        close the staff viewers whose access was removed."""
        connection_ids = list(self.live_room.viewers)
        if connection_ids:
            answer = self.call(
                "catalog", "refresh_live_presence", self.live_room.instance_id, connection_ids
            )
            self.live_room.rejoin(answer.get("missing", ()))
        self.live_room.recheck_staff()
