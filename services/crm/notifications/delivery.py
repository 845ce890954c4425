"""The delivery outbox (通知投递): every message x channel is a ``Delivery`` row.

Every message lands in the member's inbox first (``inbox``). Messages addressed to the whole
community (``announce``: a batch's pickup notice gathered per pickup point and time, a
published post, later campaign announcements) go to every channel; a member's own message
(``notify_member``) goes by e-mail through the SMTP channels when the member gave an address.

Delivery: each row is written in the same transaction as what caused it, then sent by
``drain`` (a timer): claimed with a lease (a conditional UPDATE, so two processes never send
the same row), sent outside any transaction with a timeout, then marked delivered, or retried
after 30 s, 60 s, 120 s... until ``MAX_ATTEMPTS``, then failed with the last error. The leader
sees both in ``list_deliveries``.
"""

import json
import logging
import smtplib
import ssl
import urllib.error
import urllib.request
from datetime import timedelta
from email.message import EmailMessage

from prometheus_client import Counter
from sqlalchemy import select, update

from services.crm.community import settings
from services.crm.notifications import messages
from services.crm.notifications.channels import check_url, host_problem
from services.crm.notifications.models import Channel, Delivery
from services.crm.notifications.schemas import DELIVERY_QUERY
from services.infra.db import newest_first, utcnow
from services.infra.schemas import decode_cursor, load, page

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF_SECONDS = 30
LEASE = timedelta(seconds=120)  # a claimed delivery whose sender died is tried again after this
BATCH = 20
SEND_TIMEOUT_SECONDS = 10
GROUP_WINDOW = timedelta(seconds=10)  # a batch's notices gather this long before they go out


# By outcome: delivered, retried (to be tried again after a backoff) or failed (for good).
DELIVERIES = Counter(
    "linli_notification_deliveries_total", "Notification delivery attempts, by outcome", ["outcome"]
)


# --- what goes out ---------------------------------------------------------------------------


def _channels(session, tenant_id, type_=None):
    statement = select(Channel).where(Channel.tenant_id == tenant_id)
    if type_:
        statement = statement.where(Channel.type == type_)
    return list(session.scalars(statement.order_by(Channel.created_at, Channel.id)))


def _render(session, tenant_id, kind, params):
    return messages.render(kind, params, settings.community_timezone(session, tenant_id))


def announce(session, tenant_id, kind, params, group_key=None, now=None):
    """A message to the whole community through every channel (a catalogue ``kind`` and its
    parameters, rendered zh-CN). With ``group_key``, a delivery still waiting for the same key
    is updated instead (``params`` then replace the previous ones) and waits ``GROUP_WINDOW``
    so a batch gathers into one message. Returns the deliveries written."""
    now = now or utcnow()
    text = _render(session, tenant_id, kind, params)
    written = []
    for channel in _channels(session, tenant_id):
        delivery = None
        if group_key is not None:
            delivery = session.scalars(
                select(Delivery).where(
                    Delivery.channel_id == channel.id,
                    Delivery.group_key == group_key,
                    Delivery.status == "pending",
                    Delivery.attempts == 0,
                )
            ).first()
        if delivery is None:
            delivery = Delivery(
                tenant_id=tenant_id,
                channel_id=channel.id,
                group_key=group_key,
                kind=kind,
                created_at=now,
                attempts=0,
                status="pending",
            )
            session.add(delivery)
        delivery.params, delivery.subject, delivery.body = params, text["title"][:200], text["body"]
        delivery.next_attempt_at = now + GROUP_WINDOW if group_key is not None else now
        written.append(delivery)
    session.flush()
    return written


def notify_member(session, member, kind, params, now=None):
    """A member's own message (already in their inbox) also by e-mail, when they gave one."""
    if member is None or not member.email:
        return []
    tenant_id = member.tenant_id
    now = now or utcnow()
    text = _render(session, tenant_id, kind, params)
    written = []
    for channel in _channels(session, tenant_id, "smtp"):
        delivery = Delivery(
            tenant_id=tenant_id,
            channel_id=channel.id,
            member_id=member.id,
            recipient=member.email,
            kind=kind,
            params=params,
            subject=text["title"][:200],
            body=text["body"],
            created_at=now,
            next_attempt_at=now,
            attempts=0,
            status="pending",
        )
        session.add(delivery)
        written.append(delivery)
    session.flush()
    return written


def pickup_group_key(point, at):
    return f"pickup:{point}:{at}"[:160]


def announce_pickup(session, tenant_id, point, at_iso, order_id, now=None):
    """One order of a batch is ready at ``point`` from ``at``: the community's channels get one
    notice per point and time, counting the batch's orders (each order once)."""
    key = pickup_group_key(point, at_iso)
    pending = session.scalars(
        select(Delivery).where(
            Delivery.tenant_id == tenant_id,
            Delivery.group_key == key,
            Delivery.status == "pending",
            Delivery.attempts == 0,
        )
    ).first()
    orders = list((pending.params or {}).get("order_ids", [])) if pending is not None else []
    if order_id in orders:
        return []
    orders.append(order_id)
    return announce(
        session,
        tenant_id,
        "pickup_batch",
        {"point": point, "at": at_iso, "orders": len(orders), "order_ids": orders},
        key,
        now,
    )


# --- sending ---------------------------------------------------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect could lead to an address we refused


def send_webhook(config, delivery, allow_private, timeout=SEND_TIMEOUT_SECONDS):
    problem = check_url(config["url"], allow_private)
    if problem:
        raise DeliveryError(problem)
    content = f"{delivery.subject}\n{delivery.body}"
    body = json.dumps(
        {"msgtype": "text", "text": {"content": content}}, ensure_ascii=False
    ).encode()
    request = urllib.request.Request(
        config["url"],
        data=body,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(request, timeout=timeout) as response:
            answer = response.read(65536)
            status = response.status
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"HTTP {exc.code} from the webhook.") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise DeliveryError(
            f"The webhook could not be reached: {getattr(exc, 'reason', exc)}"
        ) from None
    if not 200 <= status < 300:
        raise DeliveryError(f"HTTP {status} from the webhook.")
    try:  # a WeCom robot answers 200 with {"errcode": N, "errmsg": ...} on a refusal
        verdict = json.loads(answer) if answer.strip() else {}
    except ValueError:
        verdict = {}
    if isinstance(verdict, dict) and verdict.get("errcode") not in (None, 0):
        raise DeliveryError(
            f"The webhook refused: {verdict.get('errcode')} {verdict.get('errmsg', '')}".strip()
        )


def send_smtp(config, delivery, allow_private, timeout=SEND_TIMEOUT_SECONDS):
    problem = host_problem(config["host"], config["port"], allow_private)
    if problem:
        raise DeliveryError(problem)
    message = EmailMessage()
    message["Subject"] = delivery.subject
    message["From"] = config["from"]
    recipients = [delivery.recipient] if delivery.recipient else list(config["to"])
    message["To"] = ", ".join(recipients)
    message.set_content(delivery.body)
    try:
        factory = smtplib.SMTP_SSL if config["port"] == 465 else smtplib.SMTP
        with factory(config["host"], config["port"], timeout=timeout) as client:
            if factory is smtplib.SMTP and config.get("starttls"):
                client.starttls(context=ssl.create_default_context())
            if config.get("username"):
                client.login(config["username"], config.get("password") or "")
            client.send_message(message, from_addr=config["from"], to_addrs=recipients)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP: {exc}") from None


SENDERS = {"webhook": send_webhook, "smtp": send_smtp}


class DeliveryError(Exception):
    """A send that did not go through; the message is what the leader reads."""


def backoff(attempts):
    """How long to wait after the ``attempts``-th failed try: 30 s, 60 s, 120 s..."""
    return timedelta(seconds=BACKOFF_SECONDS * 2 ** max(attempts - 1, 0))


def claim(session, now, limit=BATCH):
    """Due deliveries, each claimed for this sender (lease): ``[(delivery, channel config)]``."""
    due = session.scalars(
        select(Delivery)
        .where(Delivery.status == "pending", Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
    ).all()
    claimed = []
    for delivery in due:
        taken = session.execute(
            update(Delivery)
            .where(
                Delivery.id == delivery.id,
                Delivery.status == "pending",
                Delivery.attempts == delivery.attempts,
            )
            .values(attempts=delivery.attempts + 1, next_attempt_at=now + LEASE)
            .execution_options(synchronize_session=False)
        ).rowcount
        if taken != 1:
            continue
        session.refresh(delivery)
        channel = session.get(Channel, delivery.channel_id)
        claimed.append(
            (
                delivery,
                dict(channel.config) if channel is not None else None,
                channel.type if channel else None,
            )
        )
    return claimed


def record(session, delivery_id, error, now):
    """The outcome of one try: delivered, or retried with backoff, or failed for good."""
    delivery = session.get(Delivery, delivery_id)
    if delivery is None or delivery.status != "pending":
        return
    if error is None:
        delivery.status, delivery.delivered_at, delivery.last_error = "delivered", now, None
    else:
        delivery.last_error = error[:500]
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = "failed"
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts)


def drain(Session, allow_private=False, now=None, timeout=SEND_TIMEOUT_SECONDS):
    """Send what is due: claim in one short transaction, send with no connection held (a slow
    server must not hold up crm's database), record each outcome. ``Session`` is a session
    (used for one transaction at a time). Returns ``{"delivered", "retried", "failed"}``."""
    now = now or utcnow()
    with Session.begin():
        claimed = claim(Session, now)
    outcome = {"delivered": 0, "retried": 0, "failed": 0}
    for delivery, config, type_ in claimed:
        error = None
        if config is None:
            error = "The channel was removed."
        else:
            try:
                SENDERS[type_](config, delivery, allow_private, timeout)
            except DeliveryError as exc:
                error = str(exc)
            except Exception as exc:  # never let one bad message stop the others
                log.exception("delivery %s failed unexpectedly", delivery.id)
                error = f"Unexpected error: {type(exc).__name__}"
        with Session.begin():
            record(Session, delivery.id, error, now)
            status = Session.get(Delivery, delivery.id).status
        result = (
            "delivered" if status == "delivered" else "failed" if status == "failed" else "retried"
        )
        outcome[result] += 1
        DELIVERIES.labels(outcome=result).inc()
    return outcome


def delivery_view(delivery):
    return {
        "id": delivery.id,
        "channel_id": delivery.channel_id,
        "kind": delivery.kind,
        "subject": delivery.subject,
        "recipient": delivery.recipient,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_error": delivery.last_error,
        "next_attempt_at": delivery.next_attempt_at.isoformat()
        if delivery.status == "pending"
        else None,
        "created_at": delivery.created_at.isoformat(),
        "delivered_at": delivery.delivered_at.isoformat() if delivery.delivered_at else None,
    }


def list_deliveries(session, caller, query):
    """What went out and what failed (with the last error), newest first."""
    caller.require_leader("Only the leader manages the community's channels.")
    params = load(DELIVERY_QUERY, query)
    statement = select(Delivery).where(Delivery.tenant_id == caller.tenant_id)
    if params["status"]:
        statement = statement.where(Delivery.status == params["status"])
    statement = newest_first(statement, Delivery, decode_cursor(params["cursor"]), params["limit"])
    return page(
        [delivery_view(delivery) for delivery in session.scalars(statement)], params["limit"]
    )
