"""Events between services: envelope, transactional outbox, idempotent inbox, parking.

* ``emit`` writes an event into the outbox table inside the caller's transaction, so an event
  exists exactly when the state change that caused it was committed.
* ``OutboxRelay`` publishes unsent outbox rows to the service's nameko event exchange
  (``<service>.events``, routing key = event type) and re-publishes whatever is still unsent,
  so consumers declared with ``@event_handler(service, event_type)`` receive the envelope.
* ``EventInbox`` runs a handler at most once per (event, consumer): the inbox row is written in
  the same transaction as the handler's effect. A handler that fails is retried with backoff
  from the ``parked_events`` table, then parked for an operator; a malformed event is parked at
  once. nameko acks events even when a handler raised, so this is where nothing gets lost.
"""

import logging
import threading
import uuid
from datetime import timedelta

from kombu import Connection, Producer
from kombu.exceptions import OperationalError
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from nameko.constants import AMQP_URI_CONFIG_KEY, PERSISTENT
from nameko.events import EventHandler, get_event_exchange
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR, DependencyProvider
from sqlalchemy import JSON, Integer, String, Text, event, select, update
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.infra import metrics
from services.infra.db import UTCDateTime, find_database, utcnow
from services.infra.errors import Conflict, Invalid, NotFound

log = logging.getLogger(__name__)

MAX_HANDLER_ATTEMPTS = 8
OUTBOX_WRITTEN = "linli.outbox_written"  # a session.info flag: this transaction emitted events


class EnvelopeSchema(Schema):
    """The envelope of docs/architecture.md (Messaging rules); unknown top-level keys are
    tolerated (additive change)."""

    class Meta:
        unknown = EXCLUDE

    event_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    event_type = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{2,63}$"))
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    occurred_at = fields.AwareDateTime(required=True)
    tenant_id = fields.String(required=True, allow_none=True, validate=validate.Length(max=64))
    correlation_id = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=128)
    )
    data = fields.Dict(keys=fields.String(), required=True)


ENVELOPE = EnvelopeSchema()


class MessagingBase(DeclarativeBase):
    """Tables every service database carries beside its own (see each service's migrations)."""


class OutboxMessage(MessagingBase):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class InboxRecord(MessagingBase):
    __tablename__ = "inbox"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    consumer: Mapped[str] = mapped_column(String(200), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(64))
    processed_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)


class ParkedEvent(MessagingBase):
    """An event a handler could not process yet (``retrying``) or at all (``parked``)."""

    __tablename__ = "parked_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64), index=True)
    consumer: Mapped[str] = mapped_column(String(200))
    event_type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    payload: Mapped[object] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(
        String(16), index=True
    )  # retrying|parked|resolved|discarded
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


def emit(session, event_type, data, *, tenant_id, correlation_id=None, version=1):
    """Record an event in the outbox, in the caller's transaction. Returns the envelope."""
    envelope = {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "version": version,
        "occurred_at": utcnow().isoformat(),
        "tenant_id": tenant_id,
        "correlation_id": correlation_id,
        "data": data,
    }
    session.add(
        OutboxMessage(event_id=envelope["event_id"], event_type=event_type, payload=envelope)
    )
    session.info[OUTBOX_WRITTEN] = True  # the relay wakes when this transaction commits
    return envelope


class OutboxRelay(DependencyProvider):
    """Publishes the outbox: woken when a transaction that emitted commits, and on a timer for
    whatever that missed (a publish that failed, rows written by another process)."""

    def __init__(self, interval=1.0, batch_size=200, linger=0.02):
        self.interval = interval
        self.batch_size = batch_size
        self.linger = linger

    def setup(self):
        self.exchange = get_event_exchange(self.container.service_name, self.container.config)
        self.publisher = TransactionalPublisher(
            self.container.config[AMQP_URI_CONFIG_KEY], self.exchange
        )
        self._wake = threading.Event()
        self._running = False

    def start(self):
        self._running = True
        event.listen(find_database(self.container).Session, "after_commit", self._after_commit)
        self.container.spawn_managed_thread(self._run)

    def stop(self):
        self._running = False
        self._wake.set()
        self.publisher.close()

    def kill(self):
        self.stop()

    def _after_commit(self, session):
        # A flag left by a rolled-back transaction only costs one needless look at the outbox.
        if session.info.pop(OUTBOX_WRITTEN, False):
            self._wake.set()

    def get_dependency(self, worker_ctx):
        return self

    def _run(self):
        while self._running:
            if self._wake.wait(self.interval):
                # Commits come in bursts (a flash sale): a moment's wait publishes them as one
                # batch, one query and one update instead of one each.
                threading.Event().wait(self.linger)
            self._wake.clear()
            if not self._running:
                break
            try:
                self.publish_pending()
            except Exception:  # broker or database down: keep the rows, try again later
                if not self._running:
                    break  # stopped mid-publish: the rows stay unsent for the next start
                log.exception("outbox relay of %s failed; will retry", self.container.service_name)
                threading.Event().wait(min(5.0, self.interval * 5))

    def publish_pending(self):
        """Publish every unsent event, oldest first. Returns how many were published."""
        database = find_database(self.container)
        published = 0
        while True:
            with database.Session() as session, session.begin():
                query = (
                    select(OutboxMessage.id, OutboxMessage.event_type, OutboxMessage.payload)
                    .where(OutboxMessage.published_at.is_(None))
                    .order_by(OutboxMessage.id)
                    .limit(self.batch_size)
                )
                if session.bind.dialect.name == "postgresql":
                    query = query.with_for_update(skip_locked=True)
                rows = session.execute(query).all()
                if rows:  # all or nothing: a batch that failed stays unsent, to be published again
                    self.publisher.publish_batch(
                        [
                            (row.payload, row.event_type, _context_headers(row.payload))
                            for row in rows
                        ]
                    )
                    session.execute(
                        update(OutboxMessage)
                        .where(OutboxMessage.id.in_([row.id for row in rows]))
                        .values(published_at=utcnow(), attempts=OutboxMessage.attempts + 1)
                    )
            published += len(rows)
            if len(rows) < self.batch_size:
                return published


class TransactionalPublisher:
    """Publishes a batch of events in one AMQP transaction (``tx.select`` / ``tx.commit``): the
    broker has them all, routed and (persistent, to durable queues) stored, when the commit is
    answered. One round trip for the batch, instead of a publisher confirm (a round trip) per
    event on the path of every order. All or nothing: a batch whose commit did not come back
    is published again, and consumers' inboxes skip what they had already.

    One connection, opened on first use and again after any failure; only the relay's thread
    uses it.
    """

    def __init__(self, amqp_uri, exchange):
        self.amqp_uri, self.exchange = amqp_uri, exchange
        self.connection = self.producer = None

    def publish_batch(self, messages):
        """``messages``: ``(payload, routing_key, headers)``, published in order."""
        try:
            producer = self.producer or self._open()
            for payload, routing_key, headers in messages:
                producer.publish(
                    payload,
                    routing_key=routing_key,
                    headers=headers,
                    serializer="json",
                    delivery_mode=PERSISTENT,
                )
            producer.channel.tx_commit()
        except Exception:
            # A half-sent transaction dies with its channel: nothing of it was published.
            self.close()
            raise

    def _open(self):
        self.connection = Connection(self.amqp_uri)
        channel = self.connection.channel()
        channel.tx_select()
        self.producer = Producer(channel, exchange=self.exchange)
        self.producer.declare()
        return self.producer

    def close(self):
        connection, self.connection, self.producer = self.connection, None, None
        if connection is not None:
            try:
                connection.release()
            except Exception:  # already broken: nothing left to close
                log.debug("closing the outbox relay's broker connection failed", exc_info=True)


# Event handlers removed from the code, as (source service, event type, method name), for every
# service at once: each service deletes the queue such a handler of its own left behind.
RETIRED_HANDLERS = (
    # An unpaid order is nothing to crm, fulfilment or referral: they hear of orders from
    # order_paid on.
    ("orders", "order_placed", "on_order_placed"),
)


class RetiredHandlers(DependencyProvider):
    """Event handlers a service no longer has: their queues are deleted at start.

    nameko declares a durable queue per ``@event_handler``, which outlives the handler: removed
    from the code, its queue would go on collecting every such event, with nobody reading it.
    Retire a handler by adding it to ``RETIRED_HANDLERS``; every service declares
    ``retired = RetiredHandlers()``. A handler a service still has is not retired there: its
    queue is the live one.
    """

    def __init__(self, *handlers):
        self.handlers = handlers or RETIRED_HANDLERS

    def setup(self):
        self.queues = retired_queues(
            self.container.service_cls, self.container.service_name, self.handlers
        )

    def start(self):
        try:
            with Connection(self.container.config[AMQP_URI_CONFIG_KEY]) as connection:
                channel = connection.channel()
                for queue in self.queues:  # deleting a queue that is not there is no error
                    deleted = channel.queue_delete(queue)
                    if deleted:
                        log.info("deleted the retired queue %s with %s events", queue, deleted)
        except (OperationalError, OSError) as exc:  # not worth failing the start: next start, then
            log.warning("could not delete retired queues %s: %s", self.queues, exc)


def retired_queues(service_cls, service_name, handlers=RETIRED_HANDLERS):
    """The queues (nameko's names) that ``handlers`` left behind in this service, less those of
    handlers it still has."""
    queues = []
    for source, event_type, method in handlers:
        live = any(
            isinstance(entrypoint, EventHandler)
            and entrypoint.source_service == source
            and entrypoint.event_type == event_type
            for entrypoint in getattr(
                getattr(service_cls, method, None), ENTRYPOINT_EXTENSIONS_ATTR, ()
            )
        )
        if not live:
            queues.append(f"evt-{source}-{event_type}--{service_name}.{method}")
    return queues


def _context_headers(envelope):
    """nameko context headers, so a consumer's ``CallerContext`` sees the tenant too."""
    headers = {"nameko.tenant_id": envelope.get("tenant_id") or ""}
    if envelope.get("correlation_id"):
        headers["nameko.correlation_id"] = envelope["correlation_id"]
    return headers


# Every declared inbox consumer of this process, by id (``inbox_consumer``): a parked event
# names its consumer by id, and is retried by the handler declared under it.
CONSUMERS = {}


def inbox_consumer(consumer_id):
    """Declare a use case an inbox consumer under ``consumer_id``: the name its events are
    recorded and parked under (``inbox``, ``parked_events``), so renaming or moving the function
    keeps them; change an id and its parked events are orphaned. Required by
    ``EventInbox.consume``; one id, one function.

    The ids are the ``module:function`` names the consumers had when ids were declared (what the
    tables already hold): they are names, never imported."""

    def declare(handler):
        known = CONSUMERS.get(consumer_id)
        if known is not None and _python_name(known) != _python_name(handler):
            raise ValueError(
                f"inbox consumer id {consumer_id!r} declared for {_python_name(known)} "
                f"and {_python_name(handler)}"
            )
        if getattr(handler, "inbox_consumer_id", consumer_id) != consumer_id:
            raise ValueError(
                f"{_python_name(handler)} declared as {handler.inbox_consumer_id!r} "
                f"and {consumer_id!r}"
            )
        CONSUMERS[consumer_id] = handler
        handler.inbox_consumer_id = consumer_id
        return handler

    return declare


def consumer_id_of(handler):
    """The declared id of an inbox consumer (``inbox_consumer``)."""
    try:
        return handler.inbox_consumer_id
    except AttributeError:
        raise LookupError(
            f"{_python_name(handler)} is not declared with @inbox_consumer(...)"
        ) from None


def _python_name(handler):
    return f"{handler.__module__}:{handler.__qualname__}"


class EventInbox(DependencyProvider):
    """``self.inbox.consume(payload, handler)``: idempotent, retried, never lost.

    ``handler(session, event)``, declared with ``@inbox_consumer(id)``, gets the validated
    envelope; it validates ``event["data"]`` with its own tolerant schema (a ``ValidationError``
    or ``Invalid`` parks the event at once: retrying a malformed event cannot help).
    """

    def __init__(self, retry_interval=1.0, max_attempts=MAX_HANDLER_ATTEMPTS):
        self.retry_interval = retry_interval
        self.max_attempts = max_attempts

    def setup(self):
        self._running = False

    def start(self):
        self._running = True
        self.container.spawn_managed_thread(self._retry_loop)

    def stop(self):
        self._running = False

    def kill(self):
        self._running = False

    def get_dependency(self, worker_ctx):
        return self

    @property
    def Session(self):
        return find_database(self.container).Session

    def consume(self, payload, handler):
        """Process one delivered event. Returns processed, duplicate, retrying or parked."""
        consumer = consumer_id_of(handler)
        try:
            envelope = ENVELOPE.load(payload)
        except ValidationError as exc:
            metrics.note_outcome("error")  # the sender's fault, not ours
            self._park(payload, consumer, f"malformed envelope: {exc.messages}", final=True)
            return "parked"
        outcome, error = self._process(envelope, consumer, handler)
        if outcome == "failed":
            metrics.note_outcome("failure")
            return self._park(payload, consumer, error, final=False)
        if outcome == "poison":
            metrics.note_outcome("error")
            return self._park(payload, consumer, error, final=True)
        return outcome

    def _process(self, envelope, consumer, handler):
        with self.Session() as session:
            try:
                with session.begin():
                    if session.get(InboxRecord, (envelope["event_id"], consumer)) is not None:
                        return "duplicate", None
                    handler(session, envelope)
                    session.add(
                        InboxRecord(
                            event_id=envelope["event_id"],
                            consumer=consumer,
                            event_type=envelope["event_type"],
                        )
                    )
                return "processed", None
            except (ValidationError, Invalid, DataError) as exc:
                # Retrying cannot fix data that does not fit: park it for an operator now.
                messages = (
                    exc.messages if isinstance(exc, ValidationError) else getattr(exc, "extra", exc)
                )
                return "poison", f"invalid event data: {messages}"
            except IntegrityError as exc:
                if self._already_processed(envelope["event_id"], consumer):
                    return "duplicate", None  # a concurrent delivery of the same event won
                return "failed", repr(exc)[:2000]
            except Exception as exc:
                log.exception("handler %s failed on event %s", consumer, envelope["event_id"])
                return "failed", repr(exc)[:2000]

    def _already_processed(self, event_id, consumer):
        with self.Session() as session:
            return session.get(InboxRecord, (event_id, consumer)) is not None

    def _park(self, payload, consumer, error, final):
        event_id = payload.get("event_id") if isinstance(payload, dict) else None
        if not isinstance(event_id, str) or not event_id or len(event_id) > 64:
            event_id = f"malformed-{uuid.uuid4()}"
        event_type = payload.get("event_type") if isinstance(payload, dict) else None
        status = "parked" if final else "retrying"
        with self.Session() as session, session.begin():
            row = session.scalars(
                select(ParkedEvent).where(
                    ParkedEvent.event_id == event_id, ParkedEvent.consumer == consumer
                )
            ).first()
            if row is None:
                row = ParkedEvent(event_id=event_id, consumer=consumer, attempts=0)
                session.add(row)
            row.event_type = event_type if isinstance(event_type, str) else None
            row.payload = payload
            row.attempts += 1
            row.last_error = error
            # A redelivery neither revives what an operator sees parked nor outlives the limit.
            if row.status == "discarded":  # an operator's decision stands
                status = "discarded"
            elif final or row.status == "parked" or row.attempts >= self.max_attempts:
                status = "parked"
            row.status = status
            row.next_attempt_at = (
                utcnow() + _backoff(row.attempts) if status == "retrying" else None
            )
        log.warning("event %s for %s is %s: %s", event_id, consumer, status, error)
        return status

    def _retry_loop(self):
        while self._running:
            threading.Event().wait(self.retry_interval)
            try:
                self.retry_due()
            except Exception:
                log.exception("retrying parked events failed")

    def retry_due(self, limit=50):
        """Run handlers again for events whose backoff has passed."""
        with self.Session() as session:
            due = session.scalars(
                select(ParkedEvent)
                .where(ParkedEvent.status == "retrying", ParkedEvent.next_attempt_at <= utcnow())
                .order_by(ParkedEvent.next_attempt_at)
                .limit(limit)
            ).all()
        for row in due:
            self._retry(row)

    def _retry(self, row):
        metrics.INBOX_RETRIES.labels(service=self.container.service_name).inc()
        handler = CONSUMERS.get(row.consumer)
        try:
            envelope = ENVELOPE.load(row.payload)
        except ValidationError as exc:
            outcome, error = "poison", f"cannot retry: {exc}"
        else:
            if handler is None:
                outcome, error = (
                    "poison",
                    f"cannot retry: no inbox consumer {row.consumer!r} in this service",
                )
            else:
                outcome, error = self._process(envelope, row.consumer, handler)
        with self.Session() as session, session.begin():
            current = session.get(ParkedEvent, row.id)
            current.attempts += 1
            current.last_error = error or current.last_error
            if outcome in ("processed", "duplicate"):
                current.status, current.next_attempt_at = "resolved", None
            elif outcome == "poison" or current.attempts >= self.max_attempts:
                current.status, current.next_attempt_at = "parked", None
            else:
                current.next_attempt_at = utcnow() + _backoff(current.attempts)


def _backoff(attempts):
    return timedelta(seconds=min(2 ** (attempts - 1), 300))


def parked_events(session, status=None, limit=100):
    query = select(ParkedEvent).order_by(ParkedEvent.id.desc()).limit(limit)
    if status:
        query = query.where(ParkedEvent.status == status)
    return [
        {
            "id": row.id,
            "event_id": row.event_id,
            "event_type": row.event_type,
            "consumer": row.consumer,
            "status": row.status,
            "attempts": row.attempts,
            "last_error": row.last_error,
            "payload": row.payload,
            "next_attempt_at": row.next_attempt_at.isoformat() if row.next_attempt_at else None,
        }
        for row in session.scalars(query)
    ]


def replay_parked_event(session, parked_id, payload=None):
    """An operator sends a parked event round again, optionally with a corrected payload."""
    row = session.get(ParkedEvent, parked_id)
    if row is None:
        raise NotFound(f"No parked event {parked_id}.")
    if payload is not None:
        row.payload = payload
    row.status, row.attempts, row.next_attempt_at = "retrying", 0, utcnow()
    return {"id": row.id, "status": row.status}


def discard_parked_event(session, parked_id):
    """An operator gives up on a parked event: marked ``discarded`` (compare-and-set from
    ``parked``), kept for the record, never retried. 409 unless it is parked."""
    row = session.get(ParkedEvent, parked_id)
    if row is None:
        raise NotFound(f"No parked event {parked_id}.")
    changed = session.execute(
        update(ParkedEvent)
        .where(ParkedEvent.id == parked_id, ParkedEvent.status == "parked")
        .values(status="discarded", next_attempt_at=None, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        raise Conflict(
            f"Parked event {parked_id} is {row.status}, not parked.", {"reason": "not_parked"}
        )
    return {"id": parked_id, "status": "discarded"}
