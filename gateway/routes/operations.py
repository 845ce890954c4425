"""Health and the API's own description."""

import eventlet

from gateway.http import route
from gateway.openapi import build_spec
from gateway.schemas import operations as schemas
from services.infra.topology import SERVICES


class OperationsRoutes:
    @route(
        "GET",
        "/livez",
        summary="This gateway process serves (liveness; asks no service)",
        tag="operations",
        response=schemas.Live,
    )
    def livez(self, request):
        # The liveness probe: 200 whenever this process answers HTTP. /health (readiness) asks
        # every service, so one backend down must not make the gateways restart.
        return 200, {"status": "ok"}

    @route(
        "GET", "/health", summary="Each service's health", tag="operations", response=schemas.Health
    )
    def health(self, request):
        services = self.services_health()
        down = sorted(name for name, state in services.items() if state != "ok")
        if down:
            return 503, {"status": "unavailable", "services": services, "down": down}
        return 200, {"status": "ok", "services": services, "down": []}

    def services_health(self):
        """``{service: "ok" | "unavailable"}`` by each service's ``ping``, asked at once."""
        timeout = float(self.config.get("HEALTH_TIMEOUT_SECONDS", 1.5))
        pile = eventlet.GreenPile(len(SERVICES))
        for service in SERVICES:
            pile.spawn(self._ping, service, timeout)
        return dict(zip(SERVICES, pile, strict=True))

    def _ping(self, service, timeout):
        try:
            self.remote.call(service, "ping", timeout=timeout)
            return "ok"
        except Exception:
            return "unavailable"

    @route("GET", "/api/v1/openapi.json", summary="This document", tag="operations")
    def openapi(self, request):
        return 200, build_spec(self.config.get("PUBLIC_URL", "/"))
