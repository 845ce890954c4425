"""Envelope, outbox relay and the idempotent, retrying inbox, over a SQLite database."""

import types
from datetime import timedelta

import pytest
from marshmallow import ValidationError
from sqlalchemy import Integer, String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.infra import messaging
from services.infra.db import Database, utcnow
from services.infra.errors import Conflict, NotFound
from services.infra.messaging import (
    ENVELOPE,
    EventInbox,
    InboxRecord,
    OutboxMessage,
    OutboxRelay,
    ParkedEvent,
    emit,
    replay_parked_event,
)


class Base(DeclarativeBase):
    pass


class Effect(Base):
    """What a test handler does: one row per event it processed."""

    __tablename__ = "effects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64))


# How the module-level handler behaves: the inbox finds it again by its id when retrying.
BEHAVIOUR = {"fail_times": 0, "error": RuntimeError, "calls": 0}


@messaging.inbox_consumer(f"{__name__}:handler")
def handler(session, event):
    BEHAVIOUR["calls"] += 1
    if BEHAVIOUR["fail_times"] > 0:
        BEHAVIOUR["fail_times"] -= 1
        raise BEHAVIOUR["error"]("handler failed")
    session.add(Effect(event_id=event["event_id"]))


@pytest.fixture(autouse=True)
def behaviour():
    BEHAVIOUR.update(fail_times=0, error=RuntimeError, calls=0)
    yield BEHAVIOUR


@pytest.fixture
def Session(session_factory):
    return session_factory(Base, "messaging")


@pytest.fixture
def container(Session):
    database = Database()
    database.Session = Session
    return types.SimpleNamespace(service_name="crm", dependencies={database}, config={})


@pytest.fixture
def inbox(container):
    inbox = EventInbox(retry_interval=0.01, max_attempts=3)
    inbox.container = container
    return inbox


def envelope(event_id="event-1", **changes):
    return {
        "event_id": event_id,
        "event_type": "order_placed",
        "version": 1,
        "occurred_at": "2026-11-24T10:00:00+00:00",
        "tenant_id": "tenant-a",
        "correlation_id": "corr-1",
        "data": {"order_id": "o1"},
        **changes,
    }


def all_rows(Session, model):
    with Session() as session:
        return session.scalars(select(model)).all()


def parked(Session):
    (row,) = all_rows(Session, ParkedEvent)
    return row


def make_due(Session):
    with Session() as session, session.begin():
        for row in session.scalars(select(ParkedEvent).where(ParkedEvent.status == "retrying")):
            row.next_attempt_at = utcnow() - timedelta(seconds=1)


def test_emit_writes_the_envelope_to_the_outbox(Session):
    with Session() as session, session.begin():
        sent = emit(
            session,
            "member_joined",
            {"member_id": "m1"},
            tenant_id="tenant-a",
            correlation_id="corr-1",
        )
    assert set(sent) == {
        "event_id",
        "event_type",
        "version",
        "occurred_at",
        "tenant_id",
        "correlation_id",
        "data",
    }
    assert sent["event_type"] == "member_joined" and sent["version"] == 1
    assert sent["data"] == {"member_id": "m1"} and sent["tenant_id"] == "tenant-a"
    assert ENVELOPE.load(sent)["occurred_at"].utcoffset() == timedelta(0)
    (row,) = all_rows(Session, OutboxMessage)
    assert row.payload == sent and row.event_id == sent["event_id"] and row.published_at is None


def test_emit_rolls_back_with_the_transaction(Session):
    with pytest.raises(RuntimeError), Session() as session, session.begin():
        emit(session, "member_joined", {}, tenant_id="tenant-a")
        raise RuntimeError("the state change failed")
    assert all_rows(Session, OutboxMessage) == []


def test_consume_processes_once(inbox, Session, behaviour):
    assert inbox.consume(envelope(), handler) == "processed"
    assert inbox.consume(envelope(), handler) == "duplicate"
    assert behaviour["calls"] == 1
    assert len(all_rows(Session, Effect)) == 1
    (record,) = all_rows(Session, InboxRecord)
    assert record.event_id == "event-1" and record.consumer == f"{__name__}:handler"
    assert inbox.consume(envelope("event-2"), handler) == "processed"
    assert len(all_rows(Session, Effect)) == 2


def test_malformed_envelope_is_parked(inbox, Session, behaviour):
    payload = envelope()
    del payload["tenant_id"]
    assert inbox.consume(payload, handler) == "parked"
    assert inbox.consume("not even an object", handler) == "parked"
    assert behaviour["calls"] == 0
    rows = all_rows(Session, ParkedEvent)
    assert [row.status for row in rows] == ["parked", "parked"]
    assert rows[0].event_id == "event-1" and "malformed envelope" in rows[0].last_error
    assert rows[1].event_id.startswith("malformed-") and rows[1].next_attempt_at is None


def test_invalid_event_data_is_parked_at_once(inbox, Session, behaviour):
    behaviour.update(fail_times=1, error=lambda msg: ValidationError({"order_id": ["Missing."]}))
    assert inbox.consume(envelope(), handler) == "parked"
    row = parked(Session)
    assert row.status == "parked" and row.next_attempt_at is None and row.attempts == 1
    assert "order_id" in row.last_error
    assert all_rows(Session, Effect) == [] and all_rows(Session, InboxRecord) == []


def test_failing_handler_is_retried_after_backoff(inbox, Session, behaviour):
    behaviour.update(fail_times=1)
    before = utcnow()
    assert inbox.consume(envelope(), handler) == "retrying"
    row = parked(Session)
    assert row.status == "retrying" and row.attempts == 1 and row.next_attempt_at > before
    assert "handler failed" in row.last_error
    assert all_rows(Session, Effect) == []

    inbox.retry_due()  # not due yet
    assert behaviour["calls"] == 1

    make_due(Session)
    inbox.retry_due()
    assert behaviour["calls"] == 2
    assert parked(Session).status == "resolved"
    assert len(all_rows(Session, Effect)) == 1
    assert inbox.consume(envelope(), handler) == "duplicate"  # a late redelivery


def test_retry_due_with_the_clock_moved_on(inbox, Session, behaviour, monkeypatch):
    behaviour.update(fail_times=1)
    inbox.consume(envelope(), handler)
    later = utcnow() + timedelta(minutes=10)
    monkeypatch.setattr(messaging, "utcnow", lambda: later)
    inbox.retry_due()
    assert parked(Session).status == "resolved"


def test_parked_after_max_attempts_then_replayed(inbox, Session, behaviour):
    behaviour.update(fail_times=10)
    assert inbox.consume(envelope(), handler) == "retrying"
    for _ in range(5):
        make_due(Session)
        inbox.retry_due()
    row = parked(Session)
    assert row.status == "parked" and row.attempts == 3 and row.next_attempt_at is None
    assert behaviour["calls"] == 3

    behaviour.update(fail_times=0)
    with Session() as session, session.begin():
        assert replay_parked_event(session, row.id) == {"id": row.id, "status": "retrying"}
    row = parked(Session)
    assert row.status == "retrying" and row.attempts == 0
    inbox.retry_due()
    assert parked(Session).status == "resolved"
    assert len(all_rows(Session, Effect)) == 1


def test_replay_with_a_corrected_payload(inbox, Session):
    broken = envelope()
    del broken["data"]
    inbox.consume(broken, handler)
    row = parked(Session)
    with Session() as session, session.begin():
        replay_parked_event(session, row.id, envelope())
    inbox.retry_due()
    assert parked(Session).status == "resolved"
    with pytest.raises(NotFound), Session() as session, session.begin():
        replay_parked_event(session, 12345)


class FakePublisher:
    """The relay's publisher: each batch all or nothing; ``fail_after`` batches, the broker goes
    down."""

    def __init__(self, fail=False, fail_after=None):
        self.fail_after = 0 if fail else fail_after
        self.published, self.batches = [], 0

    def publish_batch(self, messages):
        if self.batches == self.fail_after:
            raise ConnectionError("broker down")
        self.batches += 1
        self.published.extend(messages)


def relay_for(container, publisher, batch_size=2):
    relay = OutboxRelay(batch_size=batch_size)
    relay.container, relay.publisher = container, publisher
    return relay


def emit_some(Session, count):
    with Session() as session, session.begin():
        return [
            emit(session, "order_placed", {"n": n}, tenant_id="tenant-a", correlation_id=f"c{n}")
            for n in range(count)
        ]


def test_relay_publishes_pending_in_order(container, Session):
    sent = emit_some(Session, 5)
    publisher = FakePublisher()
    relay = relay_for(container, publisher)
    assert relay.publish_pending() == 5
    assert [payload for payload, _, _ in publisher.published] == sent
    assert {key for _, key, _ in publisher.published} == {"order_placed"}
    assert publisher.published[0][2] == {
        "nameko.tenant_id": "tenant-a",
        "nameko.correlation_id": "c0",
    }
    rows = all_rows(Session, OutboxMessage)
    assert all(row.published_at is not None and row.attempts == 1 for row in rows)
    assert relay.publish_pending() == 0
    assert len(publisher.published) == 5


def test_relay_keeps_rows_when_publishing_fails(container, Session):
    emit_some(Session, 2)
    relay = relay_for(container, FakePublisher(fail=True))
    with pytest.raises(ConnectionError):
        relay.publish_pending()
    assert all(row.published_at is None for row in all_rows(Session, OutboxMessage))
    relay.publisher = FakePublisher()
    assert relay.publish_pending() == 2
    assert all(row.published_at is not None for row in all_rows(Session, OutboxMessage))


def test_a_batch_that_failed_is_published_again_whole_and_only_it(container, Session):
    sent = emit_some(Session, 3)
    relay = relay_for(container, FakePublisher(fail_after=1), batch_size=2)
    with pytest.raises(ConnectionError):
        relay.publish_pending()
    assert [row.published_at is not None for row in all_rows(Session, OutboxMessage)] == [
        True,
        True,
        False,
    ]
    relay.publisher = FakePublisher()
    assert relay.publish_pending() == 1
    assert [payload for payload, _, _ in relay.publisher.published] == sent[2:]


@messaging.inbox_consumer("tests.unit.test_messaging:a_name_it_had_before")
def renamed_handler(session, event):
    handler(session, event)


def test_a_renamed_handler_keeps_its_events_under_its_declared_id(inbox, Session, behaviour):
    behaviour.update(fail_times=1)
    assert inbox.consume(envelope(), renamed_handler) == "retrying"
    assert parked(Session).consumer == "tests.unit.test_messaging:a_name_it_had_before"
    make_due(Session)
    inbox.retry_due()  # found by its id, not by its Python name
    assert parked(Session).status == "resolved"
    (record,) = all_rows(Session, InboxRecord)
    assert record.consumer == "tests.unit.test_messaging:a_name_it_had_before"


def test_a_parked_event_of_a_consumer_this_service_does_not_declare_stays_parked(inbox, Session):
    with Session() as session, session.begin():
        session.add(
            ParkedEvent(
                event_id="event-9",
                consumer="gone:consumer",
                payload=envelope("event-9"),
                status="retrying",
                attempts=1,
                next_attempt_at=utcnow() - timedelta(seconds=1),
            )
        )
    inbox.retry_due()
    row = parked(Session)
    assert row.status == "parked" and "no inbox consumer 'gone:consumer'" in row.last_error


def test_retries_are_counted_and_a_failed_event_marks_its_worker_failed(inbox, Session, behaviour):
    from prometheus_client import REGISTRY

    from services.infra import metrics

    def retries():
        return REGISTRY.get_sample_value("linli_inbox_retries_total", {"service": "crm"}) or 0.0

    before = retries()
    behaviour.update(fail_times=1)
    metrics._worker_outcome.set(None)  # as Metrics.worker_setup does for each worker
    assert inbox.consume(envelope(), handler) == "retrying"
    assert metrics.outcome_of(None) == "failure"  # the worker returned, but its event failed
    make_due(Session)
    inbox.retry_due()
    assert retries() == before + 1
    metrics._worker_outcome.set(None)
    assert inbox.consume(envelope("event-2"), handler) == "processed"
    assert metrics.outcome_of(None) == "ok"
    metrics._worker_outcome.set(None)
    assert (
        inbox.consume({"event_id": "event-3"}, handler) == "parked"
    )  # malformed: the sender's fault
    assert metrics.outcome_of(None) == "error"


def test_a_discarded_event_is_kept_and_never_retried(inbox, Session, behaviour):
    behaviour.update(fail_times=10)
    inbox.consume(envelope(), handler)
    row = parked(Session)
    with Session() as session, session.begin(), pytest.raises(Conflict):  # retrying, not parked yet
        messaging.discard_parked_event(session, row.id)
    for _ in range(5):
        make_due(Session)
        inbox.retry_due()
    with Session() as session, session.begin():
        assert messaging.discard_parked_event(session, row.id) == {
            "id": row.id,
            "status": "discarded",
        }
    with (
        Session() as session,
        session.begin(),
        pytest.raises(Conflict),
    ):  # twice: nothing to discard
        messaging.discard_parked_event(session, row.id)
    with Session() as session, session.begin(), pytest.raises(NotFound):
        messaging.discard_parked_event(session, row.id + 100)
    calls = behaviour["calls"]
    assert inbox.consume(envelope(), handler) == "discarded"  # a redelivery does not revive it
    make_due(Session)
    inbox.retry_due()
    assert behaviour["calls"] == calls + 1
    assert parked(Session).status == "discarded"  # kept for the record
    with Session() as session:
        assert [e["status"] for e in messaging.parked_events(session, status="discarded")] == [
            "discarded"
        ]
