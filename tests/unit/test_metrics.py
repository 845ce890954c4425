"""Prometheus metrics (services.infra.metrics): workers counted by entrypoint and outcome, the
outbox gauges read from the database, business counters counted once on commit."""

import importlib
import sys
import urllib.request
from datetime import timedelta

import pytest
from conftest import TENANT
from nameko.containers import ServiceContainer, WorkerContext
from nameko.timer import timer
from prometheus_client import REGISTRY
from sqlalchemy.orm import DeclarativeBase

from services.infra import logs, metrics
from services.infra.db import Database, utcnow
from services.infra.entrypoints import event_handler, rpc
from services.infra.errors import Conflict
from services.infra.messaging import OutboxMessage, ParkedEvent, emit
from services.infra.metrics import Metrics, OutboxCollector
from services.infra.topology import SERVICES


class Base(DeclarativeBase):
    pass


class Counted:
    name = "counted"

    db = Database()
    metrics = Metrics()

    @rpc
    def place(self, order_id):
        return order_id

    @event_handler("orders", "order_paid")
    def on_order_paid(self, payload):
        pass

    @timer(interval=60)
    def sweep(self):
        pass


def value(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


def run_worker(container, method, exc=None, data=None):
    """What nameko does around a worker: setup, result (with its exception), teardown."""
    (entrypoint,) = [e for e in container.entrypoints if e.method_name == method]
    provider = next(d for d in container.dependencies if isinstance(d, Metrics))
    worker_ctx = WorkerContext(
        container, Counted(), entrypoint, args=("order-42",), data=data or {}
    )
    provider.worker_setup(worker_ctx)
    seen = logs.current()
    exc_info = None
    if exc is not None:
        try:
            raise exc
        except Exception:
            exc_info = sys.exc_info()
    provider.worker_result(worker_ctx, None, exc_info)
    provider.worker_teardown(worker_ctx)
    return seen


@pytest.fixture
def container(tmp_path):
    container = ServiceContainer(
        Counted,
        config={"AMQP_URI": "memory://", "DATABASE_URL": f"sqlite:///{tmp_path}/counted.db"},
    )
    for dependency in container.dependencies:
        dependency.setup()
    yield container
    for dependency in container.dependencies:
        dependency.stop()


def test_an_rpc_worker_is_counted_by_method_and_outcome_without_ids(container):
    before = {
        o: value("linli_rpc_requests_total", service="counted", method="place", outcome=o)
        for o in metrics.OUTCOMES
    }
    durations = value("linli_rpc_duration_seconds_count", service="counted", method="place")
    run_worker(container, "place")
    run_worker(container, "place", Conflict("The order is paid already."))
    run_worker(container, "place", RuntimeError("boom"))
    for outcome in metrics.OUTCOMES:
        assert (
            value("linli_rpc_requests_total", service="counted", method="place", outcome=outcome)
            == before[outcome] + 1
        )
    assert (
        value("linli_rpc_duration_seconds_count", service="counted", method="place")
        == durations + 3
    )
    samples = [
        s
        for family in REGISTRY.collect()
        if family.name.startswith("linli_")
        for s in family.samples
    ]
    assert samples and not any(
        "order-42" in str(s.labels) or TENANT in str(s.labels) for s in samples
    )


def test_event_handlers_and_timers_have_their_own_counters(container):
    event_before = value(
        "linli_event_handled_total", service="counted", event_type="order_paid", outcome="ok"
    )
    timer_before = value(
        "linli_timer_runs_total", service="counted", timer="sweep", outcome="failure"
    )
    run_worker(container, "on_order_paid")
    run_worker(container, "sweep", RuntimeError("boom"))
    assert (
        value("linli_event_handled_total", service="counted", event_type="order_paid", outcome="ok")
        == event_before + 1
    )
    assert (
        value("linli_timer_runs_total", service="counted", timer="sweep", outcome="failure")
        == timer_before + 1
    )
    assert value("linli_timer_duration_seconds_count", service="counted", timer="sweep") >= 1


def test_an_event_the_inbox_parks_counts_as_failed_though_the_handler_returned(container):
    before = value(
        "linli_event_handled_total", service="counted", event_type="order_paid", outcome="failure"
    )
    (entrypoint,) = [e for e in container.entrypoints if e.method_name == "on_order_paid"]
    provider = next(d for d in container.dependencies if isinstance(d, Metrics))
    worker_ctx = WorkerContext(container, Counted(), entrypoint, data={})
    provider.worker_setup(worker_ctx)
    metrics.note_outcome("failure")  # what EventInbox.consume says when the handler failed
    provider.worker_result(worker_ctx, None, None)
    provider.worker_teardown(worker_ctx)
    assert (
        value(
            "linli_event_handled_total",
            service="counted",
            event_type="order_paid",
            outcome="failure",
        )
        == before + 1
    )


def test_a_worker_binds_its_log_fields_and_clears_them(container):
    seen = run_worker(container, "place", data={"correlation_id": "corr-1", "tenant_id": TENANT})
    assert seen == {"entrypoint": "place", "correlation_id": "corr-1", "tenant_id": TENANT}
    assert logs.current() == {}
    assert run_worker(container, "on_order_paid")["entrypoint"] == "order_paid"


def test_the_collector_reads_the_backlog_its_age_and_the_parked_events(session_factory):
    Session = session_factory(Base)
    now = utcnow()
    with Session.begin() as session:
        for minutes, published in ((10, None), (3, None), (20, now)):
            session.add(
                OutboxMessage(
                    event_id=f"e{minutes}",
                    event_type="order_paid",
                    payload={},
                    created_at=now - timedelta(minutes=minutes),
                    published_at=published,
                )
            )
        for status in ("parked", "parked", "retrying", "resolved"):
            session.add(
                ParkedEvent(event_id=f"p-{status}", consumer="c", payload={}, status=status)
            )
    families = {f.name: f for f in OutboxCollector("orders", Session).collect(now=now)}
    sample = {name: (f.samples[0].labels, f.samples[0].value) for name, f in families.items()}
    assert sample["linli_outbox_backlog"] == ({"service": "orders"}, 2.0)
    assert sample["linli_outbox_oldest_unsent_age_seconds"] == ({"service": "orders"}, 600.0)
    assert sample["linli_inbox_parked_events"] == ({"service": "orders"}, 2.0)


def test_the_collector_of_an_empty_outbox_reports_zero_age(session_factory):
    families = {f.name: f for f in OutboxCollector("crm", session_factory(Base)).collect()}
    assert families["linli_outbox_backlog"].samples[0].value == 0
    assert families["linli_outbox_oldest_unsent_age_seconds"].samples[0].value == 0


def test_committed_events_are_counted_once_and_rolled_back_ones_never(tmp_path):
    counted = []

    class Business(Counted):
        metrics = Metrics(counted_events={"order_paid": counted.append})

    container = ServiceContainer(
        Business, config={"AMQP_URI": "memory://", "DATABASE_URL": f"sqlite:///{tmp_path}/b.db"}
    )
    for dependency in container.dependencies:
        dependency.setup()
    database = next(d for d in container.dependencies if isinstance(d, Database))
    OutboxMessage.metadata.create_all(database.engine)
    provider = next(d for d in container.dependencies if isinstance(d, Metrics))
    provider.start()  # no LINLI_METRICS_PORT: no server, the counting only
    with database.Session() as session:
        with session.begin():
            emit(session, "order_paid", {"total_cents": 990}, tenant_id=TENANT)
            emit(session, "order_cancelled", {}, tenant_id=TENANT)  # not a counted type
        with pytest.raises(RuntimeError), session.begin():
            emit(session, "order_paid", {"total_cents": 5}, tenant_id=TENANT)
            session.flush()
            raise RuntimeError("the transaction fails after its flush")
        with session.begin():
            emit(session, "order_paid", {"total_cents": 7}, tenant_id=TENANT)
            with pytest.raises(RuntimeError), session.begin_nested():
                emit(session, "order_paid", {"total_cents": 11}, tenant_id=TENANT)
                session.flush()
                raise RuntimeError("the savepoint rolls back; the transaction goes on")
    assert counted == [{"total_cents": 990}, {"total_cents": 7}]
    database.stop()


def test_orders_counts_placed_paid_refunded_and_gmv():
    from services.orders import business_metrics

    before = {
        name: value(name)
        for name in (
            "linli_orders_paid_total",
            "linli_gmv_cents_total",
            "linli_orders_refunded_total",
            "linli_orders_placed_total",
        )
    }
    counted = business_metrics.COUNTED_EVENTS
    counted["order_placed"]({"total_cents": 1200})
    counted["order_paid"]({"total_cents": 1200})
    counted["order_refunded"]({"amount_cents": 200})
    assert value("linli_orders_placed_total") == before["linli_orders_placed_total"] + 1
    assert value("linli_orders_paid_total") == before["linli_orders_paid_total"] + 1
    assert value("linli_gmv_cents_total") == before["linli_gmv_cents_total"] + 1200
    assert value("linli_orders_refunded_total") == before["linli_orders_refunded_total"] + 1


def test_the_server_serves_the_registry_on_the_given_port(container, monkeypatch):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("LINLI_METRICS_PORT", str(port))
    monkeypatch.setenv("LINLI_METRICS_HOST", "127.0.0.1")
    database = next(d for d in container.dependencies if isinstance(d, Database))
    OutboxMessage.metadata.create_all(database.engine)
    provider = next(d for d in container.dependencies if isinstance(d, Metrics))
    provider.start()
    try:
        run_worker(container, "place")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            text = response.read().decode()
        assert 'linli_rpc_requests_total{method="place",outcome="ok",service="counted"}' in text
        assert 'linli_outbox_backlog{service="counted"} 0.0' in text  # read at the scrape
        assert "process_resident_memory_bytes" in text
    finally:
        provider.stop()


def test_no_port_means_no_server_and_a_bad_one_is_refused():
    assert metrics.metrics_port({}) == 0
    assert metrics.metrics_port({"LINLI_METRICS_PORT": "9401"}) == 9401
    with pytest.raises(ValueError):
        metrics.metrics_port({"LINLI_METRICS_PORT": "ninety"})


@pytest.mark.parametrize("name", [*SERVICES, "gateway"])
def test_every_service_and_the_gateway_declare_metrics_once(name):
    module = importlib.import_module(
        "gateway.service" if name == "gateway" else f"services.{name}.service"
    )
    (cls,) = [
        v for v in vars(module).values() if isinstance(v, type) and getattr(v, "name", None) == name
    ]
    declared = [attr for attr in dir(cls) if isinstance(getattr(cls, attr), Metrics)]
    assert declared == ["metrics"]


# --- the gateway's HTTP counters ------------------------------------------------------------------


class FakeProvider:
    def __init__(self, answer):
        self.answer = answer

    def handle_request(self, request):
        return self.answer


class FakeServer:
    """What ``ProblemWsgiApp`` needs of nameko's web server: its URL map."""

    def __init__(self, routes):
        self.routes = routes

    def make_url_map(self):
        from werkzeug.routing import Map, Rule

        url_map = Map()
        for url, method, provider in self.routes:
            rule = Rule(url, methods=[method])
            rule.endpoint = provider
            url_map.add(rule)
        return url_map


def test_the_gateway_counts_requests_by_route_template_never_the_raw_path():
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Response

    from gateway.http import UNMATCHED, ProblemWsgiApp

    app = ProblemWsgiApp(
        FakeServer(
            [
                ("/api/v1/orders/<order_id>", "GET", FakeProvider(Response("{}", status=200))),
                (
                    "/api/v1/live/<session_id>",
                    "GET",
                    FakeProvider(lambda environ, start_response: [b""]),
                ),
            ]
        )
    )
    labels = {"route": "/api/v1/orders/{order_id}", "method": "GET", "status": "200"}
    before = value("linli_http_requests_total", **labels)
    unmatched_before = value(
        "linli_http_requests_total", route=UNMATCHED, method="GET", status="404"
    )
    websocket_before = value(
        "linli_http_requests_total", route="/api/v1/live/{session_id}", method="GET", status="101"
    )
    for path in (
        "/api/v1/orders/order-1",
        "/api/v1/orders/order-2",
        "/nowhere/order-3",
        "/api/v1/live/s-1",
    ):
        app(EnvironBuilder(path=path).get_environ(), lambda status, headers: None)
    odd_before = value("linli_http_requests_total", route=UNMATCHED, method="OTHER", status="405")
    app(
        EnvironBuilder(path="/api/v1/orders/o-4", method="BREW-42").get_environ(),
        lambda status, headers: None,
    )
    assert (
        value("linli_http_requests_total", route=UNMATCHED, method="OTHER", status="405")
        == odd_before + 1
    )
    assert value("linli_http_requests_total", **labels) == before + 2
    assert (
        value("linli_http_requests_total", route=UNMATCHED, method="GET", status="404")
        == unmatched_before + 1
    )
    assert (
        value(
            "linli_http_requests_total",
            route="/api/v1/live/{session_id}",
            method="GET",
            status="101",
        )
        == websocket_before + 1
    )
    assert (
        value(
            "linli_http_request_duration_seconds_count",
            route="/api/v1/orders/{order_id}",
            method="GET",
        )
        >= 2
    )
    routes = {
        s.labels["route"]
        for f in REGISTRY.collect()
        if f.name == "linli_http_requests"
        for s in f.samples
        if "route" in s.labels
    }
    assert "/api/v1/orders/{order_id}" in routes
    assert not any("order-" in route or "s-1" in route for route in routes)
