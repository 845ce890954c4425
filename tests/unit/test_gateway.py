"""Gateway pieces that need no server: tokens, problem+json, the OpenAPI document; and how
domain errors cross RPC."""

import json
import re
import time

import jwt
import pytest
from nameko.exceptions import RemoteError, deserialize, serialize
from werkzeug.exceptions import NotFound as HttpNotFound

from gateway.auth import AUDIENCE, ISSUER, Tokens, check_role
from gateway.http import problem_from
from services.infra import errors
from services.infra.context import Caller

SECRET = "s" * 40
IDENTITY = {"account_id": "acc-1", "tenant_id": "tenant-a", "role": "member", "member_id": "mem-1"}


@pytest.fixture
def tokens():
    return Tokens(SECRET, 3600)


def claims(**changes):
    now = int(time.time())
    return {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 600,
        "sub": "acc-1",
        "tid": "tenant-a",
        "role": "leader",
        **changes,
    }


def bearer(token):
    return f"Bearer {token}"


def test_token_round_trip(tokens):
    before = int(time.time())
    caller = tokens.caller(bearer(tokens.issue(IDENTITY)), correlation_id="req-1")
    assert (
        before <= caller.issued_at <= time.time()
    )  # crm refuses a removed staff's older tokens by it
    assert caller == Caller(
        tenant_id="tenant-a",
        account_id="acc-1",
        member_id="mem-1",
        role="member",
        correlation_id="req-1",
        issued_at=caller.issued_at,
    )
    leader = tokens.caller(
        "bearer " + tokens.issue({**IDENTITY, "role": "leader", "member_id": None})
    )
    assert leader.role == "leader" and leader.member_id is None


def test_expired_token(tokens):
    expired = Tokens(SECRET, -10).issue(IDENTITY)
    with pytest.raises(errors.Unauthorized) as raised:
        tokens.caller(bearer(expired))
    assert "expired" in raised.value.detail


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(jwt.encode(claims(), "x" * 40, algorithm="HS256"), id="wrong-signature"),
        pytest.param(jwt.encode(claims(), None, algorithm="none"), id="alg-none"),
        pytest.param(
            jwt.encode(claims(aud="someone-else"), SECRET, algorithm="HS256"), id="wrong-audience"
        ),
        pytest.param(
            jwt.encode(claims(iss="not-linli"), SECRET, algorithm="HS256"), id="wrong-issuer"
        ),
        pytest.param(jwt.encode(claims(), SECRET, algorithm="HS512"), id="hs512-same-secret"),
        pytest.param(
            jwt.encode(claims(role="admin"), SECRET, algorithm="HS256"), id="unknown-role"
        ),
        pytest.param(
            jwt.encode(
                {k: v for k, v in claims().items() if k != "exp"}, SECRET, algorithm="HS256"
            ),
            id="no-expiry",
        ),
        pytest.param(jwt.encode(claims(tid=None), SECRET, algorithm="HS256"), id="no-tenant"),
        pytest.param("not.a.token", id="garbage"),
    ],
)
def test_bad_tokens_are_refused(tokens, token):
    with pytest.raises(errors.Unauthorized):
        tokens.caller(bearer(token))


def test_well_formed_token_from_the_same_secret_passes(tokens):
    # The parametrised refusals above are not refusing everything.
    assert tokens.caller(bearer(jwt.encode(claims(), SECRET, algorithm="HS256"))).role == "leader"


@pytest.mark.parametrize("header", [None, "", "Bearer ", "Basic abc", "Token abc"])
def test_missing_or_other_schemes_are_refused(tokens, header):
    with pytest.raises(errors.Unauthorized):
        tokens.caller(header)


@pytest.mark.parametrize("secret", [None, "", "short", "x" * 31])
def test_short_secret_refused_at_construction(secret):
    with pytest.raises(ValueError):
        Tokens(secret, 3600)


def test_check_role():
    check_role(Caller(role="staff"), ("leader", "staff"))
    check_role(Caller(role="member"), ())
    with pytest.raises(errors.Forbidden):
        check_role(Caller(role="member"), ("leader", "staff"))


def body_of(response):
    assert response.mimetype == "application/problem+json"
    return json.loads(response.get_data(as_text=True))


@pytest.mark.parametrize(
    "cls, status, title",
    [
        (errors.DomainError, 400, "Bad request"),
        (errors.Invalid, 422, "Validation failed"),
        (errors.Unauthorized, 401, "Unauthorized"),
        (errors.Forbidden, 403, "Forbidden"),
        (errors.NotFound, 404, "Not found"),
        (errors.Conflict, 409, "Conflict"),
        (errors.RateLimited, 429, "Too many requests"),
        (errors.ServiceUnavailable, 503, "Service unavailable"),
    ],
)
def test_problem_from_domain_errors(cls, status, title):
    response = problem_from(cls("It went wrong.", {"product_id": "p1", "available": 2}))
    assert response.status_code == status
    assert body_of(response) == {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": "It went wrong.",
        "product_id": "p1",
        "available": 2,
    }


def test_problem_from_field_errors():
    response = problem_from(errors.invalid({"name": ["Too long."]}))
    body = body_of(response)
    assert response.status_code == 422 and body["errors"] == {"name": ["Too long."]}
    assert body["detail"] == "The request has invalid fields."


def test_problem_from_extra_cannot_clobber_the_problem_members():
    response = problem_from(errors.Conflict("Not in this state.", {"status": "paid"}))
    body = body_of(response)
    assert response.status_code == 409 and body["status"] == 409


def test_a_rate_limit_says_when_to_retry_in_the_header_too():
    response = problem_from(
        errors.RateLimited("Too many failed logins.", {"retry_after_seconds": 120})
    )
    assert response.status_code == 429 and response.headers["Retry-After"] == "120"
    assert body_of(response)["retry_after_seconds"] == 120
    assert (
        "Retry-After" not in problem_from(errors.Conflict("x", {"retry_after_seconds": 5})).headers
    )


def test_problem_from_http_exception():
    response = problem_from(HttpNotFound())
    assert response.status_code == 404 and body_of(response)["title"] == "Not Found"


def test_unexpected_errors_do_not_leak():
    response = problem_from(RuntimeError("password=hunter2 at db.internal:5432"))
    body = body_of(response)
    assert response.status_code == 500 and body["status"] == 500
    assert "hunter2" not in response.get_data(as_text=True)
    assert set(body) == {"type", "title", "status", "detail"}


@pytest.mark.parametrize(
    "remote",
    [
        RemoteError("OperationalError", "(psycopg2.OperationalError) server closed the connection"),
        # crm lost its database while orders called it; orders passed the error on (found by make
        # chaos, PostgreSQL restarted mid-load: these were 500s).
        deserialize(
            serialize(RemoteError("OperationalError", "(psycopg2.OperationalError) shutting down"))
        ),
        deserialize(
            serialize(
                deserialize(serialize(RemoteError("InterfaceError", "connection already closed")))
            )
        ),
    ],
)
def test_a_service_that_lost_its_storage_is_503_also_through_another(remote):
    response = problem_from(remote)
    assert response.status_code == 503, body_of(response)
    assert "psycopg2" not in response.get_data(as_text=True)


def test_other_remote_errors_stay_500():
    assert problem_from(deserialize(serialize(RemoteError("KeyError", "'x'")))).status_code == 500
    assert problem_from(RemoteError("RemoteError", "")).status_code == 500


@pytest.fixture(scope="module")
def spec():
    import gateway.service  # noqa: F401  (its routes register on import)
    from gateway.openapi import build_spec

    return build_spec()


def test_openapi_document(spec):
    json.dumps(spec)  # JSON-safe
    assert spec["openapi"].startswith("3.") and spec["info"]["title"] and spec["info"]["version"]
    paths = spec["paths"]
    assert {
        "/health",
        "/api/v1/orders",
        "/api/v1/orders/{order_id}",
        "/api/v1/leaders/signup",
    } <= set(paths)
    assert {"post", "get"} <= set(paths["/api/v1/orders"])
    body = paths["/api/v1/leaders/signup"]["post"]["requestBody"]
    assert body["required"] is True and "schema" in body["content"]["application/json"]
    assert paths["/api/v1/orders"]["post"]["security"] == [{"bearer": []}]
    assert paths["/health"]["get"]["security"] == []  # public: declared so, no token
    assert "200" in paths["/api/v1/orders/{order_id}"]["get"]["responses"]
    assert "201" in paths["/api/v1/orders"]["post"]["responses"]


def test_openapi_path_parameters_and_refs_are_consistent(spec):
    for path, operations in spec["paths"].items():
        assert "<" not in path
        names = set(re.findall(r"{(\w+)}", path))
        for method, operation in operations.items():
            assert method in {"get", "post", "put", "patch", "delete"}
            assert operation["responses"], (path, method)
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == names, (path, method)
            for parameter in operation.get("parameters", []):
                assert {"name", "in"} <= set(parameter) and (
                    "schema" in parameter or "content" in parameter
                )
    schemas = spec["components"]["schemas"]
    refs = re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(spec))
    assert refs and all(ref in schemas for ref in refs)


def test_openapi_validates_when_the_validator_is_installed(spec):
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(spec)


@pytest.mark.parametrize(
    "cls", [errors.Conflict, errors.Invalid, errors.NotFound, errors.ServiceUnavailable]
)
def test_domain_errors_cross_rpc_as_themselves(cls):
    original = cls(
        "Not enough stock.",
        {
            "product_id": "p1",
            "available": 2,
            "ratio": 0.5,
            "errors": {"qty": ["Too many."]},
            "none": None,
        },
    )
    wire = json.loads(json.dumps(serialize(original)))
    back = deserialize(wire)
    assert type(back) is cls
    assert back.detail == "Not enough stock."
    assert back.extra == {
        "product_id": "p1",
        "available": 2,
        "ratio": 0.5,
        "errors": {"qty": ["Too many."]},
        "none": None,
    }
    assert type(back.extra["available"]) is int
    assert back.status == cls.status


def test_only_the_leader_passes_require_leader_staff_and_members_get_403():
    assert Caller(tenant_id="t1", role="leader").require_leader().role == "leader"
    for role in ("staff", "member"):
        with pytest.raises(errors.Forbidden):
            Caller(tenant_id="t1", role=role).require_leader("Only the leader manages campaigns.")
    with pytest.raises(errors.Unauthorized):
        Caller(role="leader").require_leader()
