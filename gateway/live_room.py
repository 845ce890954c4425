"""The live room (直播间) in real time: ``WS /api/v1/live-sessions/{id}/ws``.

Catalog owns the live session and tells every change as one event, ``live_room_changed``
{session_id, message}. Each gateway process listens with a broadcast queue of its own, so a
purchase handled anywhere reaches viewers connected to any process, and pushes ``message`` as
it is to the viewers of that session on this process.

A connection goes: token check (401/403 before the upgrade) -> ``join`` worker (catalog records
the viewer and answers a snapshot; 404 before the upgrade for a session of another community)
-> upgrade -> the snapshot first, then every change in order -> ``leave`` worker on disconnect.
Messages for a viewer go through a bounded queue drained by one sender green thread: a slow
viewer is dropped instead of slowing the room down. Every 10 s the gateway tells catalog which
connections are still open, so a process that dies does not leave ghost viewers behind.
"""

import importlib.metadata
import json
import logging
import time
import uuid
from collections import OrderedDict
from functools import partial

import eventlet
import werkzeug
from eventlet.event import Event
from eventlet.queue import Full, LightQueue
from eventlet.websocket import WebSocketWSGI
from nameko.extensions import DependencyProvider, Entrypoint
from werkzeug.routing import Rule

if not hasattr(werkzeug, "__version__"):
    # nameko.web.websocket reads werkzeug.__version__, which Werkzeug 3.1 dropped
    # (docs/architecture.md).
    werkzeug.__version__ = importlib.metadata.version("werkzeug")

from nameko.web.websocket import WebSocketServer  # noqa: E402 (needs the shim above)

from gateway.auth import tokens_from  # noqa: E402
from gateway.http import ProblemWebServer, correlation_id_of, parse_json, problem_from  # noqa: E402
from services.infra.errors import Forbidden, Unauthorized  # noqa: E402

log = logging.getLogger(__name__)

URL = "/api/v1/live-sessions/<session_id>/ws"
SUBPROTOCOL = "linli.v1"  # browsers send the token as the second subprotocol: [SUBPROTOCOL, token]
MAX_PENDING_MESSAGES = (
    256  # a viewer this far behind is disconnected (they reconnect to a snapshot)
)
MAX_CLIENT_FRAME_BYTES = 4096
MAX_UNSETTLED_ATTEMPTS = 10_000  # oldest forgotten first
# How long "sold out" is believed without a newer stock message: the broadcast queue may lose the
# message that quota came back (a broker restart), so the shortcut must forget by itself.
SOLD_OUT_MEMORY_SECONDS = 30


class Viewer:
    """One open connection: who, which session, and the messages waiting to be sent."""

    def __init__(self, session_id, caller):
        self.connection_id = uuid.uuid4().hex
        self.session_id = session_id
        self.caller = caller
        self.outbox = LightQueue(MAX_PENDING_MESSAGES)
        self.closed = False

    def push(self, message):
        if self.closed:
            return
        try:
            self.outbox.put_nowait(message)
        except Full:
            log.warning("live viewer %s is too slow; disconnecting", self.connection_id)
            self.stop()

    def pump(self, ws):
        """Send queued messages in order; close the socket when the viewer is stopped."""
        try:
            while not self.closed:
                message = self.outbox.get()
                if message is not None and not self.closed:
                    ws.send(json.dumps(message, ensure_ascii=False))
        except OSError:  # the viewer went away mid-send
            self.closed = True
        finally:
            ws.close()  # wakes the reading loop of a dropped viewer

    def stop(self):
        self.closed = True
        try:
            self.outbox.put_nowait(None)  # wake the pump
        except Full:
            pass


class LiveRoomServer(WebSocketServer):
    """nameko's websocket server, on the gateway's HTTP server, speaking the live room's
    protocol."""

    wsgi_server = ProblemWebServer()

    def setup(self):
        super().setup()
        self.tokens = tokens_from(self.container.config)
        self.instance_id = uuid.uuid4().hex  # this gateway process, for catalog's presence rows
        self.viewers = {}  # connection id -> Viewer
        self.stock = {}  # (session_id, product_id) -> when it was seen sold out (monotonic seconds)
        self.unsettled = OrderedDict()  # live order attempts whose outcome was never learned

    def get_url_rule(self):
        return Rule(URL, methods=["GET"], websocket=True)

    def handle_request(self, request):
        correlation_id = correlation_id_of(request)
        viewer = None
        try:
            caller = self.tokens.caller(_authorization(request), correlation_id)
            viewer = Viewer(request.path_values["session_id"], caller)
            # Listening before the snapshot is taken: no change can fall between the two.
            self.viewers[viewer.connection_id] = viewer
            snapshot = self._run("join", viewer)
        except Exception as exc:
            if viewer is not None:
                self.viewers.pop(viewer.connection_id, None)
            response = problem_from(exc)
            response.headers["X-Request-Id"] = correlation_id
            return response
        socket = WebSocketWSGI(
            partial(self._serve, viewer, snapshot), max_frame_length=MAX_CLIENT_FRAME_BYTES
        )
        socket.supported_protocols = [SUBPROTOCOL]

        def app(environ, start_response):
            try:
                return socket(environ, start_response)
            finally:  # also when the upgrade itself failed and _serve never ran
                self._forget(viewer)

        return app

    def _serve(self, viewer, snapshot, ws):
        ws.send(json.dumps({"type": "snapshot", **snapshot}, ensure_ascii=False))
        sender = eventlet.spawn(viewer.pump, ws)
        try:
            while not viewer.closed:
                frame = ws.wait()
                if frame is None:
                    break
                if _is_ping(frame):
                    viewer.push({"type": "pong"})
        finally:
            viewer.stop()
            sender.wait()

    def _forget(self, viewer):
        if self.viewers.pop(viewer.connection_id, None) is not None:
            viewer.stop()
            self.container.spawn_managed_thread(partial(self._leave_quietly, viewer))

    def _leave_quietly(self, viewer):
        try:
            self._run("leave", viewer)
        except Exception:  # catalog's presence sweep removes the row later
            log.warning(
                "could not tell catalog that viewer %s left", viewer.connection_id, exc_info=True
            )

    def rejoin(self, connection_ids):
        """Join again the viewers catalog forgot (it pruned them while this process stalled)."""
        for viewer in filter(None, map(self.viewers.get, connection_ids)):
            self.container.spawn_managed_thread(partial(self._rejoin_quietly, viewer))

    def _rejoin_quietly(self, viewer):
        try:
            self._run("join", viewer)
        except Exception:  # the next refresh tries again
            log.warning("could not rejoin viewer %s", viewer.connection_id, exc_info=True)

    def recheck_staff(self):
        """A helper the leader removed stops watching: each staff viewer's access is asked again
        (``confirm``: the gateway asks crm before any call of a staff token), a refused one is
        closed."""
        for viewer in [viewer for viewer in self.viewers.values() if viewer.caller.role == "staff"]:
            self.container.spawn_managed_thread(partial(self._recheck_quietly, viewer))

    def _recheck_quietly(self, viewer):
        try:
            self._run("confirm", viewer)
        except (Unauthorized, Forbidden):
            log.info(
                "live viewer %s lost access to the community; disconnecting", viewer.connection_id
            )
            viewer.stop()
        except Exception:  # crm unreachable: the next refresh asks again
            log.warning("could not recheck live viewer %s", viewer.connection_id, exc_info=True)

    def _run(self, action, viewer):
        """Run the gateway method marked ``@viewer_event(action)`` as a worker and wait for it."""
        provider = next(
            p for p in self._providers if isinstance(p, ViewerEvent) and p.action == action
        )
        done = Event()

        def handle_result(worker_ctx, result, exc_info):
            done.send(result, exc_info)
            return result, exc_info

        provider.container.spawn_worker(
            provider,
            (viewer.session_id, viewer.connection_id),
            {},
            context_data=viewer.caller.as_context(),
            handle_result=handle_result,
        )
        return done.wait()

    def broadcast(self, tenant_id, session_id, message):
        if message.get("type") == "stock":
            self._remember_stock(session_id, message.get("items", ()))
        for viewer in list(self.viewers.values()):
            if viewer.session_id == session_id and viewer.caller.tenant_id == tenant_id:
                viewer.push(message)

    def sold_out(self, session_id, product_ids, attempt=None):
        """The first of ``product_ids`` this process already knows is sold out in the session;
        None for the retry of an ``attempt`` whose outcome this process never learned (a 503, a
        timeout): that attempt may hold a unit of the quota that only its retry turns into the
        order, so refusing the retry would keep that unit held from everyone while its buyer is
        told "sold out". Per process: a retry on another gateway
        process is refused as before, and orders' sweeper frees the unit."""
        if attempt is not None and attempt in self.unsettled:
            return None
        fresh_since = time.monotonic() - SOLD_OUT_MEMORY_SECONDS
        return next(
            (p for p in product_ids if self.stock.get((session_id, p), fresh_since) > fresh_since),
            None,
        )

    def _remember_stock(self, session_id, items):
        now = time.monotonic()
        for item in items:
            key = (session_id, item.get("product_id"))
            if item.get("remaining") == 0:
                self.stock[key] = now
            else:
                self.stock.pop(key, None)
        # Forget what is too old to believe, so the memory stays small over many sessions.
        for key in [k for k, seen in self.stock.items() if seen < now - SOLD_OUT_MEMORY_SECONDS]:
            del self.stock[key]

    def attempt_ended(self, attempt, outcome_known):
        """Remember an order ``attempt`` (None: nothing to remember) whose outcome is not known;
        forget it once it is."""
        if attempt is None:
            return
        if outcome_known:
            self.unsettled.pop(attempt, None)
            return
        self.unsettled[attempt] = True
        self.unsettled.move_to_end(attempt)
        while len(self.unsettled) > MAX_UNSETTLED_ATTEMPTS:
            self.unsettled.popitem(last=False)


class ViewerEvent(Entrypoint):
    """A gateway method run for a viewer: when it joins or leaves, or its access is asked again
    (``action``)."""

    server = LiveRoomServer()

    def __init__(self, action, **kwargs):
        self.action = action
        super().__init__(**kwargs)

    def setup(self):
        self.server.register_provider(self)

    def stop(self):
        self.server.unregister_provider(self)
        super().stop()


viewer_event = ViewerEvent.decorator


class LiveRoom(DependencyProvider):
    """``self.live_room`` in the gateway: push to this process's viewers, ask what is sold out."""

    server = LiveRoomServer()

    def setup(self):
        self.server.register_provider(self)

    def stop(self):
        self.server.unregister_provider(self)
        super().stop()

    def get_dependency(self, worker_ctx):
        return self.server


def _authorization(request):
    header = request.headers.get("Authorization")
    if header:
        return header
    # Browsers cannot set headers on a websocket: the token comes as the second subprotocol.
    offered = [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",")]
    if len(offered) == 2 and offered[0] == SUBPROTOCOL:
        return f"Bearer {offered[1]}"
    return None


def _is_ping(frame):
    try:
        return parse_json(frame).get("type") == "ping"
    except (ValueError, AttributeError):
        return False
