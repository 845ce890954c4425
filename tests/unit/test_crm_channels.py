"""Notification channels with real local servers: a WeCom-style webhook receiver (http.server in
a thread) and an SMTP server (aiosmtpd). Delivery succeeds, retries with backoff, fails after
the last attempt with its error; pickup notices of a batch gather into one; secrets stay hidden;
private addresses are refused unless allowed."""

import json
import socket
import threading
import uuid
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from services.crm import handlers
from services.crm.engagement import posts
from services.crm.models import Account, Base, Community, Delivery, Member
from services.crm.notifications import channels
from services.crm.notifications import delivery as crm_delivery
from services.infra.errors import Forbidden, Invalid, NotFound

NOW = None  # a minute after the test began: after anything it writes (set by ``now``)


@pytest.fixture(autouse=True)
def now():
    """Taken when each test begins, not when the module is collected: a whole suite can take
    longer than a minute to reach these tests, and deliveries written then would not be due."""
    global NOW
    NOW = datetime.now(UTC) + timedelta(minutes=1)
    return NOW


class Receiver:
    """An HTTP server that records JSON bodies and answers with the statuses it is given."""

    def __init__(self):
        self.bodies, self.statuses = [], []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.bodies.append(json.loads(body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                answer = json.dumps(
                    {"errcode": 0, "errmsg": "ok"} if status == 200 else {}
                ).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cgi-bin/webhook/send?key=secret-robot-key"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Mailbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def smtp():
    mailbox = Mailbox()
    with socket.socket() as probe:  # a free port (aiosmtpd checks its own readiness by connecting)
        probe.bind(("127.0.0.1", 0))
        mailbox.port = probe.getsockname()[1]
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    yield mailbox
    controller.stop()


@pytest.fixture
def session(make_session):
    session = make_session(Base, "crm")
    with session.begin():
        session.add(
            Community(id="tenant-a", slug="aaa", name="阳光花园", leader_display_name="团长")
        )
        session.flush()
        session.add(
            Account(
                id="a1",
                tenant_id="tenant-a",
                phone="13900000001",
                role="member",
                password_hash="x",
                display_name="李姐",
            )
        )
        session.flush()
        session.add(
            Member(
                id="m1",
                tenant_id="tenant-a",
                account_id="a1",
                name="李姐",
                building="3",
                unit="1",
                email="li@example.com",
            )
        )
    return session


def add(session, leader, **payload):
    with session.begin():
        return channels.add_channel(session, leader, payload, allow_private=True)


def smtp_channel(session, leader, mailbox, **extra):
    return add(
        session,
        leader,
        type="smtp",
        host="127.0.0.1",
        port=mailbox.port,
        starttls=False,
        **{"from": "team@example.com", "to": ["group@example.com"], **extra},
    )


def drain(session, now=None):
    return crm_delivery.drain(session, allow_private=True, now=now or NOW, timeout=5)


def deliveries(session):
    with session.begin():
        return {d.channel_id: d for d in session.query(Delivery)}


def ready(order_id, point="3栋楼下", at="2026-11-26T10:00:00+00:00", member_id="m1"):
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": "order_ready_for_pickup",
        "version": 1,
        "occurred_at": "2026-11-24T10:00:00+00:00",
        "tenant_id": "tenant-a",
        "correlation_id": None,
        "data": {
            "order_id": order_id,
            "member_id": member_id,
            "pickup": {"code": "123456", "point": point, "at": at},
        },
    }


def subject(message):
    return str(make_header(decode_header(message["Subject"])))


def test_a_post_goes_to_the_webhook_and_the_smtp_list(session, caller, receiver, smtp):
    leader = caller("leader")
    hook = add(session, leader, type="webhook", url=receiver.url, name="团购群")
    mail = smtp_channel(session, leader, smtp)
    with session.begin():
        posts.create_post(
            session,
            leader,
            {
                "kind": "event",
                "title": "周末亲子烘焙",
                "body": "周六上午十点,3栋活动室",
                "event_at": "2026-11-29T02:00:00+00:00",
            },
        )
    assert drain(session) == {"delivered": 2, "retried": 0, "failed": 0}
    [body] = receiver.bodies
    assert body == {
        "msgtype": "text",
        "text": {"content": "【活动】周末亲子烘焙\n周六上午十点,3栋活动室"},
    }
    [(to, message)] = smtp.messages
    assert to == ["group@example.com"] and subject(message) == "【活动】周末亲子烘焙"
    assert "周六上午十点" in message.get_payload(decode=True).decode()
    sent = deliveries(session)
    assert sent[hook["id"]].status == sent[mail["id"]].status == "delivered"
    assert drain(session) == {"delivered": 0, "retried": 0, "failed": 0}  # nothing twice


def test_pickup_notices_of_a_batch_gather_into_one_and_members_get_their_own_email(
    session, caller, receiver, smtp
):
    leader = caller("leader")
    add(session, leader, type="webhook", url=receiver.url)
    smtp_channel(session, leader, smtp)
    with session.begin():
        for order_id in ("o1", "o2", "o3"):
            handlers.notify_pickup_ready(
                session, ready(order_id, member_id="m1" if order_id == "o1" else "m9")
            )
        handlers.notify_pickup_ready(session, ready("o2", member_id="m9"))  # the same order again
        handlers.notify_pickup_ready(session, ready("o4", point="5栋门口", member_id="m9"))
    # The batch's notices wait a few seconds to gather; the member's own e-mail goes at once.
    drain(session, datetime.now(UTC))
    assert [to for to, _ in smtp.messages] == [["li@example.com"]]
    assert "取货码 123456" in smtp.messages[0][1].get_payload(decode=True).decode()
    drain(session, datetime.now(UTC) + crm_delivery.GROUP_WINDOW)
    contents = sorted(body["text"]["content"] for body in receiver.bodies)
    assert contents == [
        "到货通知\n本批订单已到「3栋楼下」,11月26日 18:00 起可凭取货码自提(共 3 单)。",
        "到货通知\n本批订单已到「5栋门口」,11月26日 18:00 起可凭取货码自提(共 1 单)。",
    ]
    assert sorted(to[0] for to, _ in smtp.messages) == [
        "group@example.com",
        "group@example.com",
        "li@example.com",
    ]


def test_a_failing_webhook_is_retried_with_backoff_then_delivered(session, caller, receiver):
    leader = caller("leader")
    hook = add(session, leader, type="webhook", url=receiver.url)
    receiver.statuses = [500]
    with session.begin():
        posts.create_post(
            session, leader, {"kind": "knowledge", "title": "本周菜价", "body": "青菜降价"}
        )
    assert drain(session) == {"delivered": 0, "retried": 1, "failed": 0}
    delivery = deliveries(session)[hook["id"]]
    assert (
        delivery.status == "pending"
        and delivery.attempts == 1
        and delivery.last_error == "HTTP 500 from the webhook."
    )
    assert delivery.next_attempt_at == NOW + timedelta(seconds=30)
    assert drain(session, NOW + timedelta(seconds=29)) == {
        "delivered": 0,
        "retried": 0,
        "failed": 0,
    }  # not yet
    assert drain(session, NOW + timedelta(seconds=30)) == {
        "delivered": 1,
        "retried": 0,
        "failed": 0,
    }
    assert len(receiver.bodies) == 2
    with session.begin():
        listed = crm_delivery.list_deliveries(session, leader, {"status": "delivered"})["items"]
    assert [(d["status"], d["attempts"], d["last_error"]) for d in listed] == [
        ("delivered", 2, None)
    ]


def test_an_unreachable_channel_fails_after_the_last_attempt_with_its_error(
    session, caller, receiver, smtp
):
    leader = caller("leader")
    hook = add(session, leader, type="webhook", url=receiver.url)
    mail = smtp_channel(session, leader, smtp)
    receiver.close()  # nobody listens any more
    with session.begin():  # a login the SMTP server never offered: refused each time
        channel = session.get(channels.Channel, mail["id"])
        channel.config = {**channel.config, "username": "team", "password": "hunter2-secret"}
    with session.begin():
        posts.create_post(
            session, leader, {"kind": "knowledge", "title": "本周菜价", "body": "青菜降价"}
        )
    now = NOW
    for attempt in range(1, crm_delivery.MAX_ATTEMPTS + 1):
        outcome = drain(session, now)
        assert outcome["delivered"] == 0 and outcome["retried"] + outcome["failed"] == 2
        assert outcome["failed"] == (2 if attempt == crm_delivery.MAX_ATTEMPTS else 0)
        now = now + crm_delivery.backoff(attempt)
    assert drain(session, now + timedelta(days=1)) == {"delivered": 0, "retried": 0, "failed": 0}
    failed = deliveries(session)
    assert failed[hook["id"]].status == failed[mail["id"]].status == "failed"
    assert failed[hook["id"]].attempts == failed[mail["id"]].attempts == crm_delivery.MAX_ATTEMPTS
    assert failed[hook["id"]].last_error.startswith("The webhook could not be reached")
    assert failed[mail["id"]].last_error.startswith("SMTP")
    with session.begin():
        listed = crm_delivery.list_deliveries(session, leader, {"status": "failed"})["items"]
    assert {d["channel_id"] for d in listed} == {hook["id"], mail["id"]} and all(
        d["last_error"] for d in listed
    )
    assert smtp.messages == []


def test_secrets_are_never_answered(session, caller, receiver, smtp):
    leader = caller("leader")
    hook = add(session, leader, type="webhook", url=receiver.url)
    mail = smtp_channel(session, leader, smtp, username="team", password="hunter2-secret")
    assert "secret-robot-key" not in json.dumps(hook) and hook["url"].endswith(
        "/cgi-bin/webhook/send?***"
    )
    assert "password" not in mail and mail["password_set"] is True
    with session.begin():
        listed = channels.list_channels(session, leader)
    text = json.dumps(listed, ensure_ascii=False)
    assert (
        "hunter2-secret" not in text
        and "secret-robot-key" not in text
        and len(listed["items"]) == 2
    )


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"type": "webhook", "url": "ftp://example.com/hook"}, "url"),
        ({"type": "webhook", "url": "file:///etc/passwd"}, "url"),
        ({"type": "webhook"}, "url"),
        ({"type": "webhook", "url": "https://example.com/x", "host": "x"}, "host"),
        ({"type": "smtp", "host": "smtp.example.com", "port": 25, "from": "a@example.com"}, "to"),
        (
            {
                "type": "smtp",
                "host": "smtp.example.com",
                "port": 25,
                "from": "nope",
                "to": ["a@example.com"],
            },
            "from",
        ),
        (
            {
                "type": "smtp",
                "host": "smtp.example.com",
                "port": 70000,
                "from": "a@example.com",
                "to": ["a@example.com"],
            },
            "port",
        ),
        (
            {
                "type": "smtp",
                "host": "smtp.example.com",
                "port": 25,
                "from": "a@example.com",
                "to": ["a@example.com"],
                "username": "u",
            },
            "password",
        ),
        ({"type": "sms", "url": "https://example.com"}, "type"),
    ],
)
def test_bad_channels_are_refused(session, caller, payload, field):
    with pytest.raises(Invalid) as refused, session.begin():
        channels.add_channel(session, caller("leader"), payload, allow_private=True)
    assert field in refused.value.extra["errors"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://192.168.1.5/hook",
    ],
)
def test_private_addresses_are_refused_unless_allowed(session, caller, url):
    leader = caller("leader")
    with pytest.raises(Invalid) as refused, session.begin():
        channels.add_channel(session, leader, {"type": "webhook", "url": url}, allow_private=False)
    assert "url" in refused.value.extra["errors"]
    with session.begin():
        assert channels.add_channel(
            session, leader, {"type": "webhook", "url": url}, allow_private=True
        )["id"]


def test_a_private_address_is_refused_again_at_send_time(session, caller, receiver):
    leader = caller("leader")
    add(session, leader, type="webhook", url=receiver.url)  # allowed when it was added
    with session.begin():
        posts.create_post(session, leader, {"kind": "knowledge", "title": "t", "body": "b"})
    assert crm_delivery.drain(session, allow_private=False, now=NOW)["retried"] == 1
    assert receiver.bodies == []
    assert next(iter(deliveries(session).values())).last_error.startswith("Private")


def test_only_the_leader_manages_channels_of_their_own_community(session, caller, receiver):
    leader = caller("leader")
    hook = add(session, leader, type="webhook", url=receiver.url)
    for who in (caller("member", member_id="m1"), caller("staff")):
        with pytest.raises(Forbidden), session.begin():
            channels.list_channels(session, who)
    other = caller("leader", tenant_id="tenant-b")
    with pytest.raises(NotFound), session.begin():
        channels.remove_channel(session, other, hook["id"])
    with session.begin():
        assert channels.list_channels(session, other)["items"] == []
        assert crm_delivery.list_deliveries(session, other, {})["items"] == []
    with session.begin():
        posts.create_post(session, leader, {"kind": "knowledge", "title": "t", "body": "b"})
    with session.begin():
        assert channels.remove_channel(session, leader, hook["id"])["deleted"] is True
    with session.begin():
        [delivery] = crm_delivery.list_deliveries(session, leader, {})["items"]
    assert delivery["status"] == "failed" and delivery["last_error"] == "The channel was removed."
    assert drain(session)["delivered"] == 0 and receiver.bodies == []


def test_deliveries_are_counted_by_outcome(session, caller, receiver):
    from prometheus_client import REGISTRY

    def delivered():
        return (
            REGISTRY.get_sample_value(
                "linli_notification_deliveries_total", {"outcome": "delivered"}
            )
            or 0
        )

    before = delivered()
    add(session, caller("leader"), type="webhook", url=receiver.url, name="团购群")
    with session.begin():
        posts.create_post(
            session,
            caller("leader"),
            {"kind": "knowledge", "title": "鸡蛋怎么存", "body": "冷藏,尖头朝下"},
        )
    assert drain(session)["delivered"] == 1
    assert delivered() == before + 1
