"""Prometheus metrics of a process, and the worker's log fields.

``metrics = Metrics()`` in a service class (and the gateway) does three things:

* serves ``/metrics`` on ``LINLI_METRICS_PORT`` (``deploy/run.py`` gives each process its own;
  unset or 0: no server, as in tests), on ``LINLI_METRICS_HOST`` (default all interfaces);
* counts and times every worker by its entrypoint, with an outcome: ``ok``, ``error`` (a
  ``DomainError``, an answer such as a 404 or 409, or an event parked as malformed) or ``failure``
  (anything unexpected; an event handler whose effect failed and is retried): RPC
  ``linli_rpc_requests_total`` / ``linli_rpc_duration_seconds``, events
  ``linli_event_handled_total`` / ``linli_event_duration_seconds``, timers
  ``linli_timer_runs_total`` / ``linli_timer_duration_seconds``; HTTP routes are counted by the
  gateway itself (``observe_http``), with the route's template;
* binds the worker's log fields (``services.infra.logs``): entrypoint, correlation id, tenant.

With a database it also reads, at scrape time, the outbox backlog and its oldest unsent age and
the parked events (``OutboxCollector``); ``counted_events`` maps an event type the service emits
to a function of its data, called once when the transaction that wrote it commits.

Labels never hold a tenant, member, order or any other id: only names from the code.
"""

import logging
import os
import time
from contextvars import ContextVar

from nameko.events import EventHandler
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from nameko.timer import Timer
from nameko.web.handlers import HttpRequestHandler
from prometheus_client import REGISTRY, Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from services.infra import logs
from services.infra.db import Database, utcnow
from services.infra.errors import DomainError

log = logging.getLogger(__name__)

PORT_VARIABLE = "LINLI_METRICS_PORT"
HOST_VARIABLE = "LINLI_METRICS_HOST"
OUTCOMES = ("ok", "error", "failure")
# Seconds: from a quick read (5 ms) to the gateway's deadline (4 s) and past it.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

RPC_REQUESTS = Counter(
    "linli_rpc_requests_total",
    "RPC calls handled, by method and outcome",
    ["service", "method", "outcome"],
)
RPC_DURATION = Histogram(
    "linli_rpc_duration_seconds",
    "Time to handle an RPC call",
    ["service", "method"],
    buckets=BUCKETS,
)
EVENTS_HANDLED = Counter(
    "linli_event_handled_total",
    "Events handled, by type and outcome",
    ["service", "event_type", "outcome"],
)
EVENT_DURATION = Histogram(
    "linli_event_duration_seconds",
    "Time to handle an event",
    ["service", "event_type"],
    buckets=BUCKETS,
)
TIMER_RUNS = Counter(
    "linli_timer_runs_total", "Timer runs, by timer and outcome", ["service", "timer", "outcome"]
)
TIMER_DURATION = Histogram(
    "linli_timer_duration_seconds", "Time of a timer run", ["service", "timer"], buckets=BUCKETS
)
HTTP_REQUESTS = Counter(
    "linli_http_requests_total",
    "HTTP requests answered, by route template and status",
    ["route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "linli_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["route", "method"],
    buckets=BUCKETS,
)
INBOX_RETRIES = Counter(
    "linli_inbox_retries_total", "Failed events handled again after their backoff", ["service"]
)
RPC_TIMEOUTS = Counter(
    "linli_rpc_timeouts_total",
    "RPC calls that got no answer in time, by called service",
    ["service", "target"],
)

# What a worker's own code says of its outcome (an event handler's inbox result), beside its
# exception.
_worker_outcome = ContextVar("linli_worker_outcome", default=None)


def note_outcome(outcome):
    """Called inside a worker whose entrypoint returned normally but did not succeed."""
    assert outcome in OUTCOMES, outcome
    _worker_outcome.set(outcome)


def outcome_of(exc_info, expected=DomainError):
    if exc_info is None:
        return _worker_outcome.get() or "ok"
    return "error" if issubclass(exc_info[0], expected) else "failure"


# A client chooses the method it sends: any other would be a label value of its making.
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def observe_http(route, method, status, seconds):
    method = method if method in HTTP_METHODS else "OTHER"
    HTTP_REQUESTS.labels(route=route, method=method, status=str(status)).inc()
    HTTP_DURATION.labels(route=route, method=method).observe(seconds)


def _entrypoint_name(entrypoint):
    """(kind, name) of what a worker runs: the RPC method, the event type, the timer, the route."""
    if isinstance(entrypoint, Rpc):
        return "rpc", entrypoint.method_name
    if isinstance(entrypoint, EventHandler):
        return "event", entrypoint.event_type
    if isinstance(entrypoint, Timer):
        return "timer", entrypoint.method_name
    if isinstance(entrypoint, HttpRequestHandler):
        return "http", getattr(entrypoint, "route_template", entrypoint.url)
    return "other", entrypoint.method_name


_RECORDERS = {
    "rpc": lambda service, name, outcome, seconds: (
        RPC_REQUESTS.labels(service=service, method=name, outcome=outcome).inc(),
        RPC_DURATION.labels(service=service, method=name).observe(seconds),
    ),
    "event": lambda service, name, outcome, seconds: (
        EVENTS_HANDLED.labels(service=service, event_type=name, outcome=outcome).inc(),
        EVENT_DURATION.labels(service=service, event_type=name).observe(seconds),
    ),
    "timer": lambda service, name, outcome, seconds: (
        TIMER_RUNS.labels(service=service, timer=name, outcome=outcome).inc(),
        TIMER_DURATION.labels(service=service, timer=name).observe(seconds),
    ),
}


class OutboxCollector:
    """Gauges read from the service's database at each scrape: two indexed counts."""

    def __init__(self, service, Session):
        self.service = service
        self.Session = Session

    def describe(self):
        return []  # registering must not query the database

    def collect(self, now=None):
        from services.infra.messaging import (  # messaging counts through this module
            OutboxMessage,
            ParkedEvent,
        )

        try:
            with self.Session() as session:
                backlog, oldest = session.execute(
                    select(func.count(), func.min(OutboxMessage.created_at)).where(
                        OutboxMessage.published_at.is_(None)
                    )
                ).one()
                parked = session.scalar(
                    select(func.count())
                    .select_from(ParkedEvent)
                    .where(ParkedEvent.status == "parked")
                )
        except Exception:
            log.warning("could not read the outbox of %s for metrics", self.service, exc_info=True)
            return
        age = max(0.0, ((now or utcnow()) - oldest).total_seconds()) if oldest is not None else 0.0
        yield _gauge(
            "linli_outbox_backlog", "Outbox events not yet published", self.service, backlog
        )
        yield _gauge(
            "linli_outbox_oldest_unsent_age_seconds",
            "Age of the oldest unpublished outbox event",
            self.service,
            age,
        )
        yield _gauge(
            "linli_inbox_parked_events", "Events parked for an operator", self.service, parked
        )


def _gauge(name, documentation, service, value):
    family = GaugeMetricFamily(name, documentation, labels=["service"])
    family.add_metric([service], float(value))
    return family


class Metrics(DependencyProvider):
    """One per service class (``metrics = Metrics()``): see the module's docstring."""

    def __init__(self, counted_events=None):
        self.counted_events = dict(counted_events or {})

    def setup(self):
        self.service = self.container.service_name
        self.started = {}
        self.server = self.collector = None
        self.database = next(
            (d for d in self.container.dependencies if isinstance(d, Database)), None
        )

    def start(self):
        port = metrics_port()
        if self.database is not None:
            if self.counted_events:
                self._count_committed_events(self.database.Session)
            if port:
                collector = OutboxCollector(self.service, self.database.Session)
                try:
                    REGISTRY.register(collector)
                    self.collector = collector
                except ValueError:  # another service of this process reports its outbox already
                    log.warning(
                        "%s's outbox gauges are not served: this process has another service's",
                        self.service,
                    )
        if port:
            host = os.environ.get(HOST_VARIABLE) or "0.0.0.0"
            try:
                self.server, _thread = start_http_server(port, addr=host)
            except OSError as exc:  # a taken port costs the metrics, not the service
                log.error("cannot serve metrics on %s:%s: %s", host, port, exc)
            else:
                log.info("metrics on http://%s:%s/metrics", host, port)

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
        if self.collector is not None:
            REGISTRY.unregister(self.collector)
            self.collector = None

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        return self

    def worker_setup(self, worker_ctx):
        _worker_outcome.set(None)
        self.started[worker_ctx] = time.perf_counter()
        kind, name = _entrypoint_name(worker_ctx.entrypoint)
        data = worker_ctx.data or {}
        logs.bind(
            entrypoint=name,
            correlation_id=data.get("correlation_id"),
            tenant_id=data.get("tenant_id"),
        )

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self.started.pop(worker_ctx, None)
        kind, name = _entrypoint_name(worker_ctx.entrypoint)
        recorder = _RECORDERS.get(kind)
        if recorder is None or started is None:
            return
        expected = getattr(worker_ctx.entrypoint, "expected_exceptions", ()) or DomainError
        recorder(self.service, name, outcome_of(exc_info, expected), time.perf_counter() - started)

    def worker_teardown(self, worker_ctx):
        self.started.pop(worker_ctx, None)
        logs.unbind()

    def _count_committed_events(self, Session):
        """Calls ``counted_events[type](data)`` for each event a transaction wrote, when it commits:
        a rolled-back attempt (a race retried, a failure) counts nothing, an idempotent replay
        emits nothing, and the relay publishing an event twice cannot count it twice."""
        from services.infra.messaging import OutboxMessage

        key = "linli_metrics_events"

        def after_flush(session, _context):
            # Noted with the innermost transaction: a savepoint rolled back takes its events along.
            transaction = session.get_nested_transaction() or session.get_transaction()
            for obj in session.new:
                if isinstance(obj, OutboxMessage) and obj.event_type in self.counted_events:
                    session.info.setdefault(key, []).append(
                        (transaction, obj.event_type, obj.payload.get("data") or {})
                    )

        def after_commit(session):
            for _transaction, event_type, data in session.info.pop(key, ()):
                try:
                    self.counted_events[event_type](data)
                except Exception:
                    log.exception("counting %s failed", event_type)

        def after_soft_rollback(session, previous_transaction):
            # Every rollback, of a savepoint or of the whole transaction.
            if key in session.info:
                session.info[key] = [
                    noted
                    for noted in session.info[key]
                    if not _within(noted[0], previous_transaction)
                ]

        sa_event.listen(Session, "after_flush", after_flush)
        sa_event.listen(Session, "after_commit", after_commit)
        sa_event.listen(Session, "after_soft_rollback", after_soft_rollback)


def _within(transaction, outer):
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


def metrics_port(env=None):
    value = ((env if env is not None else os.environ).get(PORT_VARIABLE) or "0").strip()
    if not value.isdigit() or int(value) > 65535:
        raise ValueError(f"{PORT_VARIABLE} must be a port number (0: none), not {value!r}")
    return int(value)
