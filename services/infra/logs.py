"""Logging of every Linli process: text for a person (``make run``), one JSON object per line
for a machine (``LINLI_LOG_FORMAT=json``, as in compose and Kubernetes).

Each process's ``config/<service>.yaml`` names this module in its ``LOGGING`` dict, which
``nameko run`` hands to ``logging.config.dictConfig``: the formatter is ``formatter`` (text or
JSON by ``LINLI_LOG_FORMAT``), and the handler's ``ContextFilter`` adds to every record the
service, the entrypoint it runs for (RPC method, event type, timer, HTTP route),
``correlation_id`` and ``tenant_id``, and redacts what must never be logged: tokens and
passwords, secrets and keys, and mainland phone numbers (shown as ``138****1234``).

The per-worker fields live in a context variable: each eventlet green thread has its own, set by
``services.infra.metrics.Metrics`` when a worker starts (``bind``) and cleared when it ends, and by
the gateway for each request. Standard library only: ``dictConfig`` imports it early.
"""

import contextvars
import json
import logging
import os
import re
from datetime import UTC, datetime

FORMAT_VARIABLE = "LINLI_LOG_FORMAT"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(context)s: %(message)s"
CONTEXT_FIELDS = ("entrypoint", "correlation_id", "tenant_id")
MASK = "***"

_context = contextvars.ContextVar("linli_log_context", default=None)

# The attributes every LogRecord has: anything else on a record came as ``extra=``.
_RECORD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "service",
    "context",
    *CONTEXT_FIELDS,
}

# A mainland mobile number (1[3-9] and nine digits) not inside a longer run of digits.
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
# "Bearer <token>", and a JWT wherever it appears (three base64url parts, the first "eyJ").
_BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
# name=value / "name": "value" / name: value, where the name says a secret: password, secret, token,
# authorization, or a key (api_key, signing-key; a bare ``key`` only as key=... or "key": ..., not
# the ``{key: value}`` of a line of code in a traceback).
_SENSITIVE_NAME = (
    r"""(?:["']?\b[A-Za-z_-]*"""
    r"""(?:password|passwd|secret|token|authorization|apikey|[_-]key)\b["']?
                      |\bkey(?==)|["']key["'](?=\s*:))"""
)
_ASSIGNMENT = re.compile(
    rf"""(?ix)({_SENSITIVE_NAME}\s*[=:]\s*)(?:bearer\s+)?(?:"[^"]*"|'[^']*'|[^\s,;&}}\]]+)"""
)


def is_sensitive(name):
    name = str(name).lower()
    return any(
        word in name for word in ("password", "passwd", "secret", "token", "authorization")
    ) or (name == "key" or name.endswith(("_key", "-key", "apikey")))


def redact(text):
    """``text`` with secrets masked and phone numbers shortened to ``138****1234``."""
    if not text:
        return text
    text = _ASSIGNMENT.sub(lambda m: m.group(1) + MASK, text)
    text = _BEARER.sub(rf"\1 {MASK}", text)
    text = _JWT.sub(MASK, text)
    return _PHONE.sub(r"\1****\3", text)


def redact_value(name, value):
    """An ``extra=`` field's value, fit for the log: masked whole when its name is sensitive."""
    if is_sensitive(name):
        return MASK
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: redact_value(key, item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value("", item) for item in value]
    if isinstance(value, int | float | bool) or value is None:
        return value
    return redact(str(value))


def bind(**fields):
    """Set this green thread's log fields (``entrypoint``, ``correlation_id``, ``tenant_id``);
    returns a token for ``unbind``."""
    return _context.set({key: value for key, value in fields.items() if value})


def unbind(token=None):
    if token is not None:
        try:
            _context.reset(token)
            return
        except ValueError:  # set in another context: fall through and clear this one
            pass
    _context.set({})


def current():
    return dict(_context.get() or {})


class ContextFilter(logging.Filter):
    """Adds ``service`` and the worker's fields to each record and redacts its message, its
    exception text and its ``extra`` fields. Attached to the handler, so every logger's records
    (nameko's, kombu's, ours) pass through it."""

    def __init__(self, service="", name=""):
        super().__init__(name)
        self.service = service

    def filter(self, record):
        record.service = self.service
        fields = _context.get() or {}
        for key in CONTEXT_FIELDS:
            setattr(record, key, fields.get(key))
        record.context = "".join(
            f" [{fields[key]}]" for key in ("entrypoint", "correlation_id") if fields.get(key)
        )
        try:
            message = record.getMessage()
        except Exception:  # a log call whose arguments do not fit its format must not raise here
            message = f"{record.msg} {record.args!r}"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
            record.exc_info = None  # the formatters use the redacted text, never the raw traceback
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for key, value in list(vars(record).items()):
            if key not in _RECORD_ATTRIBUTES:
                setattr(record, key, redact_value(key, value))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (ISO-8601 UTC), level, service, logger, message, the
    entrypoint, correlation_id, tenant_id, the exception text when any, and ``extra`` fields."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": getattr(record, "service", ""),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in CONTEXT_FIELDS:
            entry[key] = getattr(record, key, None)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and key not in entry:
                entry[key] = value
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self):
        super().__init__(TEXT_FORMAT)

    def format(self, record):
        if not hasattr(record, "context"):  # a record that met no ContextFilter
            record.context = ""
        return super().format(record)


def log_format(env=None):
    value = (
        ((env if env is not None else os.environ).get(FORMAT_VARIABLE) or "text").strip().lower()
    )
    if value not in ("text", "json"):
        raise ValueError(f"{FORMAT_VARIABLE} must be text or json, not {value!r}")
    return value


def formatter():
    """The formatter ``LINLI_LOG_FORMAT`` asks for (``dictConfig``'s ``()`` factory)."""
    return JsonFormatter() if log_format() == "json" else TextFormatter()


def logging_config(service, level="INFO"):
    """The ``LOGGING`` dict of a process, as ``config/<service>.yaml`` spells it; for scripts."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"linli": {"()": "services.infra.logs.formatter"}},
        "filters": {"context": {"()": "services.infra.logs.ContextFilter", "service": service}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "linli",
                "filters": ["context"],
            }
        },
        "root": {"level": level, "handlers": ["console"]},
    }
