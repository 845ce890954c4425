"""The OpenAPI document is one client generators and API tools can use: each operation has a
unique operationId, declares its security and its 4xx answers, and the document names its server
(what Redocly's recommended rules ask; `make lint` runs them on the exported document)."""

import json

import pytest

import gateway.service  # noqa: F401  (its routes register on import)
from gateway import openapi
from gateway.openapi import build_spec

PUBLIC = {
    "POST /api/v1/leaders/signup",
    "POST /api/v1/auth/login",
    "POST /api/v1/operator/login",
    "GET /api/v1/communities/{slug}",
    "POST /api/v1/communities/{slug}/join",
    "GET /api/v1/payments/sandbox/pay/{charge_id}",
    "POST /api/v1/payments/sandbox/pay/{charge_id}",
    "POST /api/v1/payments/sandbox/webhook",
    "GET /health",
    "GET /livez",
    "GET /api/v1/openapi.json",
}
# No token, no id, no body, no query: nothing to answer 4xx for (.redocly.lint-ignore.yaml).
NO_4XX = {"GET /health", "GET /livez", "GET /api/v1/openapi.json"}


@pytest.fixture(scope="module")
def spec():
    return build_spec("https://linli.example.cn/")


def operations(spec):
    return {
        f"{method.upper()} {path}": operation
        for path, entries in spec["paths"].items()
        for method, operation in entries.items()
    }


def test_every_operation_has_a_unique_operation_id_named_after_its_handler(spec):
    ids = [operation["operationId"] for operation in operations(spec).values()]
    assert len(ids) == len(set(ids)) > 90
    assert all(identifier.isidentifier() for identifier in ids)
    assert operations(spec)["POST /api/v1/orders"]["operationId"] == "place_order"
    assert hasattr(gateway.service.GatewayService, "place_order")


def test_every_operation_declares_its_security_bearer_unless_public(spec):
    for key, operation in operations(spec).items():
        expected = [] if key in PUBLIC else [{"bearer": []}]
        assert operation["security"] == expected, key
        assert operation.get("description", "").startswith("Roles: ") == (key not in PUBLIC), key
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_every_operation_declares_its_4xx_answers_as_shared_problem_responses(spec):
    shared = spec["components"]["responses"]
    for key, operation in operations(spec).items():
        responses = operation["responses"]
        problems = {
            status: answer for status, answer in responses.items() if status.startswith("4")
        }
        assert bool(problems) == (key not in NO_4XX), key
        for status, answer in problems.items():
            name = answer["$ref"].removeprefix("#/components/responses/")
            assert name == openapi.PROBLEMS[int(status)][0], (key, status)
            assert shared[name]["content"]["application/problem+json"]["schema"] == {
                "$ref": "#/components/schemas/Problem"
            }
        assert responses["default"] == {"$ref": "#/components/responses/Problem"}, key
        if key not in PUBLIC:
            assert "401" in problems, key
        if "{" in key:
            assert "404" in problems, key
        if "requestBody" in operation:
            assert {"400", "422"} <= set(problems), key
    every = operations(spec)
    assert "403" in every["POST /api/v1/orders"]["responses"]  # members only
    assert "403" not in every["GET /api/v1/orders"]["responses"]  # any role
    assert {"401", "429"} <= set(every["POST /api/v1/auth/login"]["responses"])
    assert "429" in every["POST /api/v1/live-sessions/{session_id}/comments"]["responses"]
    assert shared["TooManyRequests"]["headers"]["Retry-After"]["schema"] == {"type": "integer"}


def test_the_document_names_its_server(spec):
    assert spec["servers"] == [
        {"url": "https://linli.example.cn", "description": "This Linli installation"}
    ]
    assert build_spec()["servers"][0]["url"] == "/"  # relative: the origin that served it


def test_the_document_exports_to_a_file_without_a_running_stack(tmp_path, monkeypatch):
    monkeypatch.setenv("LINLI_PUBLIC_URL", "https://shop.example.cn")
    target = tmp_path / "out" / "openapi.json"
    openapi.main(["gateway.openapi", str(target)])
    document = json.loads(target.read_text(encoding="utf-8"))
    assert document["servers"][0]["url"] == "https://shop.example.cn"
    assert document["paths"] == json.loads(json.dumps(build_spec()["paths"]))


def test_the_headers_a_route_reads_are_parameters(spec):
    every = operations(spec)

    def headers(key):
        return {
            p["name"]: p["required"]
            for p in every[key].get("parameters", [])
            if p["in"] == "header"
        }

    for key in (
        "POST /api/v1/orders",
        "POST /api/v1/orders/{order_id}/pay",
        "POST /api/v1/orders/{order_id}/mark-paid",
        "POST /api/v1/orders/{order_id}/refund",
        "POST /api/v1/rewards/{reward_id}/redeem",
    ):
        assert headers(key) == {"Idempotency-Key": False}, key
        assert "422" in every[key]["responses"], key  # a malformed key
    assert headers("POST /api/v1/payments/sandbox/webhook") == {
        "Linli-Sandbox-Timestamp": True,
        "Linli-Sandbox-Signature": True,
    }
    assert headers("GET /api/v1/orders") == {}
