"""The gateway's live-room plumbing that needs no network: viewers' queues, tokens, sold-out
memory."""

import json
from collections import OrderedDict

import eventlet
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway import live_room
from gateway.live_room import LiveRoomServer, Viewer
from services.infra.context import Caller
from services.infra.errors import Unauthorized


class FakeSocket:
    def __init__(self):
        self.sent, self.closed = [], False

    def send(self, text):
        self.sent.append(json.loads(text))

    def close(self):
        self.closed = True


def viewer(session_id="s1", tenant_id="t1"):
    return Viewer(session_id, Caller(tenant_id=tenant_id, member_id="m1", role="member"))


def test_a_viewer_gets_its_messages_in_order_then_the_socket_closes_when_stopped():
    one, ws = viewer(), FakeSocket()
    sender = eventlet.spawn(one.pump, ws)
    one.push({"type": "comment", "n": 1})
    one.push({"type": "stock", "n": 2})
    eventlet.sleep(0.01)
    one.stop()
    one.push({"type": "late", "n": 3})  # after stop: dropped
    sender.wait()
    assert [message["n"] for message in ws.sent] == [1, 2]
    assert ws.closed


def test_a_viewer_too_far_behind_is_dropped_instead_of_slowing_the_room(monkeypatch):
    monkeypatch.setattr(live_room, "MAX_PENDING_MESSAGES", 3)
    slow = viewer()
    for n in range(5):
        slow.push({"type": "comment", "n": n})
    assert slow.closed


def request(headers):
    return Request(
        EnvironBuilder(path="/api/v1/live-sessions/s1/ws", headers=headers).get_environ()
    )


def test_the_token_comes_from_the_header_or_from_the_browsers_subprotocols():
    assert live_room._authorization(request({"Authorization": "Bearer abc"})) == "Bearer abc"
    assert (
        live_room._authorization(request({"Sec-WebSocket-Protocol": "linli.v1, abc.def"}))
        == "Bearer abc.def"
    )
    assert live_room._authorization(request({"Sec-WebSocket-Protocol": "other, abc"})) is None
    assert live_room._authorization(request({})) is None


def server():
    instance = LiveRoomServer()
    instance.viewers, instance.stock, instance.unsettled = {}, {}, OrderedDict()
    return instance


def test_changes_reach_only_the_viewers_of_that_session_in_that_community():
    room = server()
    here, elsewhere, foreign = viewer("s1"), viewer("s2"), viewer("s1", tenant_id="t2")
    for one in (here, elsewhere, foreign):
        room.viewers[one.connection_id] = one
    room.broadcast("t1", "s1", {"type": "pinned", "product_id": "p1"})
    assert here.outbox.qsize() == 1
    assert elsewhere.outbox.qsize() == 0 and foreign.outbox.qsize() == 0


def test_the_gateway_remembers_what_sold_out_and_forgets_when_quota_comes_back():
    room = server()
    room.broadcast(
        "t1",
        "s1",
        {
            "type": "stock",
            "items": [{"product_id": "p1", "remaining": 0}, {"product_id": "p2", "remaining": 4}],
        },
    )
    assert room.sold_out("s1", ["p2", "p1"]) == "p1"
    assert room.sold_out("s2", ["p1"]) is None
    room.broadcast("t1", "s1", {"type": "stock", "items": [{"product_id": "p1", "remaining": 1}]})
    assert room.sold_out("s1", ["p1", "p2"]) is None


def test_sold_out_is_believed_only_for_a_while_in_case_the_restock_message_was_lost(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(live_room.time, "monotonic", lambda: clock[0])
    room = server()
    room.broadcast("t1", "s1", {"type": "stock", "items": [{"product_id": "p1", "remaining": 0}]})
    clock[0] += live_room.SOLD_OUT_MEMORY_SECONDS - 1
    assert room.sold_out("s1", ["p1"]) == "p1"
    clock[0] += 2  # no newer stock message: orders decides again
    assert room.sold_out("s1", ["p1"]) is None
    room.broadcast("t1", "s2", {"type": "stock", "items": [{"product_id": "p9", "remaining": 3}]})
    assert room.stock == {}  # what is too old to believe is forgotten


def test_viewers_catalog_forgot_are_joined_again():
    room = server()
    joined = []
    room.container = type("Container", (), {"spawn_managed_thread": lambda self, fn: fn()})()
    room._run = lambda action, viewer: joined.append((action, viewer.connection_id))
    kept, forgotten = viewer(), viewer()
    room.viewers = {kept.connection_id: kept, forgotten.connection_id: forgotten}
    room.rejoin([forgotten.connection_id, "gone-already"])
    assert joined == [("join", forgotten.connection_id)]


def test_staff_viewers_are_asked_about_again_and_a_removed_one_is_disconnected():
    room = server()
    asked = []
    room.container = type("Container", (), {"spawn_managed_thread": lambda self, fn: fn()})()

    def run(action, one):
        asked.append((action, one.connection_id))
        if one is removed:
            raise Unauthorized("Your access to this community was removed by its leader.")

    room._run = run
    member = viewer()
    kept, removed = (
        Viewer("s1", Caller(tenant_id="t1", account_id=account, role="staff")) for account in "ab"
    )
    room.viewers = {one.connection_id: one for one in (member, kept, removed)}
    room.recheck_staff()
    assert sorted(asked) == sorted(
        [("confirm", kept.connection_id), ("confirm", removed.connection_id)]
    )
    assert removed.closed and not kept.closed and not member.closed
