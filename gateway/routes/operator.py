"""The platform operator's console (平台运维): service health, parked events, communities,
failing deliveries and the audit trail. Every action is recorded in crm's audit trail."""

import eventlet

from gateway.http import json_body, query_args, route
from gateway.routes.roles import OPERATOR
from gateway.schemas import operator as schemas
from gateway.schemas.common import page_of
from services.infra.errors import DomainError, NotFound
from services.infra.topology import SERVICES


def _parked_target(service, parked_id):
    """A parked event's address, 404 for a service that is not one of ours or a non-numeric id."""
    if service not in SERVICES or not parked_id.isdigit() or len(parked_id) > 18:
        raise NotFound(f"No parked event {service}/{parked_id}.")
    return service, int(parked_id)


class OperatorRoutes:
    @route(
        "POST",
        "/api/v1/operator/login",
        summary="The platform operator logs in",
        tag="operator",
        status="200",
        body=schemas.OperatorLogin,
        response=schemas.OperatorSession,
        problems=(401, 429),
    )
    def operator_login(self, request):
        identity = self.call("crm", "operator_login", json_body(request, schemas.OperatorLogin))
        return self.session(identity)

    @route(
        "GET",
        "/api/v1/operator/services",
        roles=OPERATOR,
        summary="Each service's health",
        tag="operator",
        response=schemas.ServicesHealth,
    )
    def operator_services(self, request):
        services = self.services_health()
        return {
            "services": services,
            "down": sorted(name for name, state in services.items() if state != "ok"),
        }

    @route(
        "GET",
        "/api/v1/operator/parked-events",
        roles=OPERATOR,
        summary="Parked events of every service",
        tag="operator",
        query=schemas.ParkedQuery,
        response=schemas.ParkedList,
    )
    def operator_parked_events(self, request):
        query = query_args(request, schemas.ParkedQuery)
        return self._parked_events_listing(query.get("service"), query.get("status"))

    def _parked_events_listing(self, service, status):
        services = [service] if service else list(SERVICES)
        pile = eventlet.GreenPile(len(services))
        for service in services:
            pile.spawn(self._parked_of, service, status)
        items, unavailable = [], []
        for service, found in zip(services, pile, strict=True):
            if found is None:
                unavailable.append(service)
            else:
                items += [{"service": service, **event} for event in found]
        return {"items": items, "unavailable": unavailable}

    def _parked_of(self, service, status):
        try:
            return self.call(service, "list_parked_events", status=status)
        except Exception:
            return None  # one service down does not hide the others' parked events

    @route(
        "POST",
        "/api/v1/operator/parked-events/<service>/<parked_id>/replay",
        roles=OPERATOR,
        summary="Send a parked event round again (with a corrected envelope if given; the body is optional)",
        tag="operator",
        body=schemas.Replay,
        response=schemas.ParkedAction,
    )
    def operator_replay(self, request, service, parked_id):
        payload = (
            json_body(request, schemas.Replay)["payload"]
            if request.get_data(cache=True).strip()
            else None
        )
        return self._parked_action(
            "replay",
            "replay_parked_event",
            service,
            parked_id,
            *([payload] if payload is not None else []),
        )

    @route(
        "POST",
        "/api/v1/operator/parked-events/<service>/<parked_id>/discard",
        roles=OPERATOR,
        summary="Give up on a parked event (kept, marked discarded)",
        tag="operator",
        response=schemas.ParkedAction,
    )
    def operator_discard(self, request, service, parked_id):
        return self._parked_action("discard", "discard_parked_event", service, parked_id)

    def _parked_action(self, action, method, service, parked_id, *args):
        target = f"{service}/{parked_id}"
        try:
            service, number = _parked_target(service, parked_id)
            result = self.call(service, method, number, *args)
        except DomainError as exc:
            self._audit(action, target, "refused", {"status": exc.status, "detail": exc.detail})
            raise
        except Exception:
            self._audit(action, target, "failed", {})
            raise
        self._audit(action, target, "ok", {"corrected": True} if args else {})
        return {"service": service, **result}

    def _audit(self, action, target, outcome, details):
        self.call(
            "crm",
            "record_operator_action",
            {"action": action, "target": target[:200], "outcome": outcome, "details": details},
        )

    @route(
        "GET",
        "/api/v1/operator/communities",
        roles=OPERATOR,
        summary="Every community, its size and activity",
        tag="operator",
        query=schemas.CommunitiesQuery,
        response=page_of(schemas.CommunityRow),
    )
    def operator_communities(self, request):
        return self.call("crm", "list_communities", query_args(request, schemas.CommunitiesQuery))

    @route(
        "POST",
        "/api/v1/operator/communities/<slug>/suspend",
        roles=OPERATOR,
        summary="Suspend a community: its members see a notice and cannot order",
        tag="operator",
        body=schemas.Suspend,
        response=schemas.CommunityStatus,
    )
    def operator_suspend(self, request, slug):
        return self.call("crm", "suspend_community", slug, json_body(request, schemas.Suspend))

    @route(
        "POST",
        "/api/v1/operator/communities/<slug>/resume",
        roles=OPERATOR,
        summary="Resume a suspended community",
        tag="operator",
        response=schemas.CommunityStatus,
    )
    def operator_resume(self, request, slug):
        return self.call("crm", "resume_community", slug)

    @route(
        "GET",
        "/api/v1/operator/deliveries",
        roles=OPERATOR,
        summary="Notification deliveries across communities",
        tag="operator",
        query=schemas.DeliveriesQuery,
        response=page_of(schemas.DeliveryRow),
    )
    def operator_deliveries(self, request):
        return self.call(
            "crm", "list_deliveries_across", query_args(request, schemas.DeliveriesQuery)
        )

    @route(
        "GET",
        "/api/v1/operator/audit",
        roles=OPERATOR,
        summary="The operator's audit trail",
        tag="operator",
        query=schemas.AuditQuery,
        response=page_of(schemas.AuditEntry),
    )
    def operator_audit(self, request):
        return self.call("crm", "list_operator_audit", query_args(request, schemas.AuditQuery))
