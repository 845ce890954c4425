"""HTTP plumbing: JSON in and out, problem+json for every failure, auth before the worker.

``route`` declares an endpoint once: nameko serves it and ``openapi`` documents it. The
entrypoint authenticates the bearer token (when the route names roles) and puts the caller
into the worker's context data, so every RPC the handler makes carries the tenant.
"""

import json
import logging
import time
import uuid
from functools import cache, partial

from eventlet.event import Event
from nameko.exceptions import RemoteError
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Request, Response

from gateway.auth import check_role, tokens_from
from services.infra import logs, metrics
from services.infra.errors import DomainError
from services.infra.schemas import load

log = logging.getLogger(__name__)

PROBLEM = "application/problem+json"
MAX_BODY_BYTES = 64 * 1024
# Deeper than any body of the API: a hostile nesting must not reach a recursive parser or
# serialiser (json, marshmallow, the RPC encoder) further down.
MAX_JSON_DEPTH = 32
ROUTES = []  # (method, rule, options) of every route, for the OpenAPI document
UNMATCHED = "(unmatched)"  # the route label of a request no route serves


def problem(status, title, detail="", extra=None):
    # The standard members always win over a same-named fact in ``extra``.
    body = {
        **(extra or {}),
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM)
    retry_after = body.get("retry_after_seconds")
    if (
        status in (429, 503)
        and isinstance(retry_after, int)
        and not isinstance(retry_after, bool)
        and retry_after > 0
    ):
        response.headers["Retry-After"] = str(retry_after)  # what HTTP clients and proxies read
    return response


# A service whose database is down or overloaded is unavailable, not broken.
UNAVAILABLE_REMOTE_ERRORS = {
    "OperationalError",
    "DisconnectionError",
    "TimeoutError",
    "InterfaceError",
}


def original_type(exc):
    """The type of the error behind a ``RemoteError``, also when a service passed on another's
    (orders re-raising crm's lost database connection arrives as
    ``RemoteError OperationalError ...``)."""
    exc_type, value = exc.exc_type, str(exc.value or "")
    while exc_type == "RemoteError":
        exc_type, _, value = value.partition(" ")
    return exc_type


def problem_from(exc):
    if isinstance(exc, DomainError):
        return problem(exc.status, exc.title, exc.detail, exc.extra)
    if isinstance(exc, HTTPException):
        return problem(exc.code, exc.name, exc.description or "")
    if isinstance(exc, RemoteError) and original_type(exc) in UNAVAILABLE_REMOTE_ERRORS:
        log.warning("a service could not reach its storage: %s", exc)
        return problem(
            503, "Service unavailable", "A service cannot reach its storage; try again shortly."
        )
    log.exception("unexpected error while serving a request", exc_info=exc)
    return problem(500, "Internal error", "Something went wrong on our side; it has been logged.")


class ProblemWsgiApp(WsgiApp):
    """Unknown paths and wrong methods answer problem+json too, not werkzeug's HTML."""

    def __call__(self, environ, start_response):
        request = Request(environ, shallow=True)
        adapter = self.url_map.bind_to_environ(environ)
        started = time.perf_counter()
        # a kept-alive connection's previous request is over; the route binds this one's
        logs.unbind()
        route = UNMATCHED  # a path no route serves: one series for them all, never the raw path
        try:
            rule, values = adapter.match(return_rule=True)
            provider, route = rule.endpoint, route_template(rule.rule)
            request.path_values = values
            response = provider.handle_request(request)
        except RequestRedirect as exc:  # "/path/" -> "/path"
            response = exc.get_response(environ)
        except MethodNotAllowed as exc:
            response = problem_from(exc)
            response.headers["Allow"] = ", ".join(exc.valid_methods or ())
        except Exception as exc:  # never let a request end without an answer
            response = problem_from(exc)
        # A websocket's answer is the application that serves it: 101 once upgraded (timed to here).
        status = getattr(response, "status_code", 101)
        metrics.observe_http(route, request.method, status, time.perf_counter() - started)
        return response(environ, start_response)


class ProblemWebServer(WebServer):
    def get_wsgi_app(self):
        return ProblemWsgiApp(self)


class Route(HttpRequestHandler):
    server = ProblemWebServer()

    def __init__(self, method, url, roles=None):
        self.roles = tuple(roles or ())
        # A problem answered to the client is not a fault of ours: log it as a warning.
        super().__init__(method, url, expected_exceptions=DomainError)

    def setup(self):
        super().setup()
        self.tokens = tokens_from(self.container.config)
        self.route_template = route_template(self.url)  # what logs name, never the raw path

    def handle_request(self, request):
        request.shallow = False
        correlation_id = correlation_id_of(request)
        logs.bind(entrypoint=self.route_template, correlation_id=correlation_id)
        try:
            context = {"correlation_id": correlation_id}
            if self.roles:
                caller = self.tokens.caller(request.headers.get("Authorization"), correlation_id)
                check_role(caller, self.roles)
                context.update(caller.as_context())
                logs.bind(
                    entrypoint=self.route_template,
                    correlation_id=correlation_id,
                    tenant_id=caller.tenant_id,
                )
            args, kwargs = self.get_entrypoint_parameters(request)
            self.check_signature(args, kwargs)
            done = Event()
            self.container.spawn_worker(
                self,
                args,
                kwargs,
                context_data=context,
                handle_result=partial(self.handle_result, done),
            )
            response = self.response_from_result(done.wait())
        except Exception as exc:
            response = self.response_from_exception(exc)
        response.headers["X-Request-Id"] = correlation_id
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    def response_from_result(self, result):
        if isinstance(result, Response):
            return result
        status, body = result if isinstance(result, tuple) else (200, result)
        return Response(
            json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json"
        )

    def response_from_exception(self, exc):
        return problem_from(exc)


@cache
def route_template(rule):
    """``/api/v1/orders/<order_id>`` -> ``/api/v1/orders/{order_id}``, as the OpenAPI document
    names it: the route label of the metrics and the entrypoint of the logs."""
    from gateway.openapi import _path  # imported here: openapi imports this module

    return _path(rule)


def correlation_id_of(request):
    given = request.headers.get("X-Request-Id", "")
    if given and len(given) <= 64 and given.replace("-", "").isalnum():
        return given
    return uuid.uuid4().hex


def route(method, url, roles=None, **options):
    """Declare an endpoint: ``roles`` (leader/staff/member) require a token with that role;
    ``options`` (summary, tag, body, query, headers, response, status, problems) feed the OpenAPI
    document, where the handler's name is the operation's ``operationId``."""
    register = Route.decorator(method, url, roles=roles)

    def decorate(handler):
        ROUTES.append(
            (
                method,
                url,
                {"roles": tuple(roles or ()), "operation_id": handler.__name__, **options},
            )
        )
        return register(handler)

    return decorate


@cache
def _schema(schema_class):
    """One instance per schema class: building one copies all its fields, work that would be
    repeated on every request, and a marshmallow schema keeps nothing of one load for the next."""
    return schema_class()


def parse_json(text):
    """``json.loads`` for text from outside: ValueError for anything that is not JSON (NaN and
    Infinity included), holds a NUL character, or nests
    deeper than ``MAX_JSON_DEPTH`` (checked on the text first, so the parser never recurses
    that deep)."""
    brackets = text.count("[") + text.count("{")  # counted in C: most bodies need no scan
    if brackets > MAX_JSON_DEPTH and _nesting(text) > MAX_JSON_DEPTH:
        raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        data = json.loads(text, parse_constant=_not_json)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    if "u0000" in text and _holds_nul(data):  # PostgreSQL stores no NUL in text
        raise ValueError("a text holds the NUL character")
    return data


def _holds_nul(data):
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, str) and "\x00" in value:
            return True
        if isinstance(value, dict):
            pending.extend(value)
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False


def _not_json(constant):
    raise ValueError(
        f"{constant} is not JSON"
    )  # Python's json reads NaN and Infinity; JSON has neither


def _nesting(text):
    """The deepest nesting of arrays and objects in ``text``, brackets inside strings aside."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def json_body(request, schema_class, **kwargs):
    """The request's JSON object validated by ``schema_class``: 400 if not JSON, 422 if invalid."""
    if request.content_length and request.content_length > MAX_BODY_BYTES:
        raise DomainError("The request body is too large.")
    raw = request.get_data(cache=True)
    if len(raw) > MAX_BODY_BYTES:
        raise DomainError("The request body is too large.")
    try:
        data = parse_json(raw.decode("utf-8")) if raw.strip() else None
    except UnicodeDecodeError:
        raise DomainError("The body is not valid UTF-8 JSON.") from None
    except ValueError as exc:
        raise DomainError(f"The body is not valid JSON: {exc}.") from None
    if not isinstance(data, dict):
        raise DomainError("The body must be a JSON object.")
    return load(_schema(schema_class), data, **kwargs)


def dates_as_text(payload, *keys):
    """Dates and datetimes cross RPC as ISO-8601 text (the service validates them again)."""
    for key in keys:
        if payload.get(key) is not None:
            payload[key] = payload[key].isoformat()
    return payload


def query_args(request, schema_class):
    """Query parameters validated by ``schema_class`` (422 for unknown or bad ones)."""
    args = {key: values[-1] for key, values in request.args.lists()}
    if any("\x00" in key or "\x00" in value for key, value in args.items()):
        raise DomainError("The query holds the NUL character.")  # PostgreSQL stores no NUL in text
    return load(_schema(schema_class), args)


def preferred_locale(request):
    """zh-CN unless the reader's browser prefers English (the catalogues we have)."""
    return request.accept_languages.best_match(["zh-CN", "en"], default="zh-CN")
