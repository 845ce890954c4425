"""GET /livez: the gateway's liveness answers without asking any service; /health stays the
readiness check that asks them all."""

import pytest

import gateway.service  # noqa: F401  (its routes register on import)
from gateway.openapi import build_spec
from gateway.routes.operations import OperationsRoutes


class BrokenRemote:
    """Every backend is down: any call fails."""

    def __init__(self):
        self.calls = []

    def call(self, service, method, **kwargs):
        self.calls.append((service, method))
        raise TimeoutError(f"{service} does not answer")


@pytest.fixture
def routes():
    instance = OperationsRoutes()
    instance.remote = BrokenRemote()
    instance.config = {"HEALTH_TIMEOUT_SECONDS": 0.1}
    return instance


def test_livez_is_200_while_every_backend_is_down(routes):
    assert routes.livez(request=None) == (200, {"status": "ok"})
    assert routes.remote.calls == []  # it asked nobody


def test_health_is_still_the_aggregate_and_says_503(routes):
    status, body = routes.health(request=None)
    assert status == 503
    assert body["status"] == "unavailable" and body["down"] == sorted(body["services"])
    assert {service for service, _ in routes.remote.calls} == set(body["services"])


def test_both_are_public_and_documented():
    paths = build_spec()["paths"]
    for path in ("/livez", "/health"):
        operation = paths[path]["get"]
        assert operation["security"] == []
        assert operation["tags"] == ["operations"]
        assert "200" in operation["responses"]
    assert paths["/livez"]["get"]["operationId"] == "livez"
