"""Logs (services.infra.logs): JSON or text, the worker's fields, and nothing secret."""

import io
import json
import logging
from pathlib import Path

import pytest
import yaml

from services.infra import logs
from services.infra.topology import GATEWAY, SERVICES

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def emit_line():
    """``emit_line(fmt, level, message, *args, **kwargs)``: one record through the filter and the
    formatter of ``fmt``, as the configured handler would write it."""

    def emit(fmt, level, message, *args, **kwargs):
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.addFilter(logs.ContextFilter(service="orders"))
        handler.setFormatter(logs.JsonFormatter() if fmt == "json" else logs.TextFormatter())
        logger = logging.Logger(
            "tests.logs", logging.DEBUG
        )  # outside the hierarchy: no other handler
        logger.addHandler(handler)
        logger.log(level, message, *args, **kwargs)
        return stream.getvalue()

    return emit


def test_a_json_line_has_every_field(emit_line):
    token = logs.bind(entrypoint="place_orders", correlation_id="c0ffee", tenant_id="community-1")
    try:
        line = emit_line("json", logging.WARNING, "order %s placed", "o-1")
    finally:
        logs.unbind(token)
    assert line.endswith("\n") and line.count("\n") == 1
    entry = json.loads(line)
    assert entry["time"].endswith("+00:00") and entry["time"][:4].isdigit()
    assert {
        key: entry[key]
        for key in (
            "level",
            "service",
            "logger",
            "message",
            "entrypoint",
            "correlation_id",
            "tenant_id",
        )
    } == {
        "level": "WARNING",
        "service": "orders",
        "logger": "tests.logs",
        "message": "order o-1 placed",
        "entrypoint": "place_orders",
        "correlation_id": "c0ffee",
        "tenant_id": "community-1",
    }


def test_outside_a_worker_the_fields_are_null(emit_line):
    entry = json.loads(emit_line("json", logging.INFO, "started"))
    assert (
        entry["correlation_id"] is None
        and entry["tenant_id"] is None
        and entry["entrypoint"] is None
    )


def test_the_exception_text_is_in_the_line_and_redacted(emit_line):
    try:
        raise ValueError("login failed for 13812341234 with password=hunter2")
    except ValueError:
        entry = json.loads(emit_line("json", logging.ERROR, "it broke", exc_info=True))
    assert "Traceback" in entry["exception"] and "ValueError" in entry["exception"]
    assert "13812341234" not in entry["exception"] and "138****1234" in entry["exception"]
    assert "hunter2" not in entry["exception"]


def test_text_lines_carry_the_entrypoint_and_correlation_id(emit_line):
    token = logs.bind(entrypoint="/api/v1/orders/{order_id}", correlation_id="abc123")
    try:
        line = emit_line("text", logging.INFO, "hello")
    finally:
        logs.unbind(token)
    assert "INFO tests.logs [/api/v1/orders/{order_id}] [abc123]: hello" in line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("member 13912345678 joined", "member 139****5678 joined"),
        ("tel:+86 15000001111.", "tel:+86 150****1111."),
        ("order 2026120413912345678 is not a phone", "order 2026120413912345678 is not a phone"),
        (
            "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
            "Authorization: ***",
        ),
        ("header bearer abc.def-ghi", "header bearer ***"),
        ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln leaked", "token *** leaked"),
        (
            '{"password": "s3cret", "phone": "13800000000"}',
            '{"password": ***, "phone": "138****0000"}',
        ),
        ("login password=hunter2&next=/", "login password=***&next=/"),
        ("webhook_secret: abc123, retries: 3", "webhook_secret: ***, retries: 3"),
        ("api_key=AKIA123 region=cn", "api_key=*** region=cn"),
        ("12 items at 3 price", "12 items at 3 price"),
        ("key=abc123 next", "key=*** next"),
        ('{"key": "abc", "kind": "x"}', '{"key": ***, "kind": "x"}'),
        ("raise NotFound(detail, {key: object_id})", "raise NotFound(detail, {key: object_id})"),
        ("Idempotency-Key: order-1", "Idempotency-Key: ***"),
        ("monkey=3 keyboard=2", "monkey=3 keyboard=2"),
    ],
)
def test_redaction(text, expected):
    assert logs.redact(text) == expected


def test_extra_fields_are_redacted_by_name_and_value(emit_line):
    entry = json.loads(
        emit_line(
            "json",
            logging.INFO,
            "signed in",
            extra={
                "password": "hunter2",
                "token": "abc",
                "api_key": "k",
                "phone": "13712345678",
                "headers": {"Authorization": "Bearer xyz", "Accept": "json"},
                "count": 3,
            },
        )
    )
    assert entry["password"] == entry["token"] == entry["api_key"] == "***"
    assert entry["phone"] == "137****5678"
    assert entry["headers"] == {"Authorization": "***", "Accept": "json"}
    assert entry["count"] == 3
    assert "hunter2" not in json.dumps(entry) and "xyz" not in json.dumps(entry)


def test_the_format_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("LINLI_LOG_FORMAT", raising=False)
    assert isinstance(logs.formatter(), logs.TextFormatter)
    monkeypatch.setenv("LINLI_LOG_FORMAT", "json")
    assert isinstance(logs.formatter(), logs.JsonFormatter)
    monkeypatch.setenv("LINLI_LOG_FORMAT", "xml")
    with pytest.raises(ValueError):
        logs.formatter()


@pytest.mark.parametrize("name", [*SERVICES, GATEWAY])
def test_every_process_configures_logging_through_this_module(name):
    with open(REPO / "config" / f"{name}.yaml") as f:
        configured = yaml.safe_load(f)["LOGGING"]
    configured["root"]["level"] = "INFO"  # ${LINLI_LOG_LEVEL:INFO}, unexpanded here
    assert configured == logs.logging_config(name)


def test_a_log_call_with_wrong_arguments_still_writes_its_line(emit_line):
    entry = json.loads(emit_line("json", logging.INFO, "two %s %s", "one"))
    assert entry["message"].startswith("two %s %s") and "one" in entry["message"]
