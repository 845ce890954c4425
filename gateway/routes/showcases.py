"""Showcases (晒单): a member shows off a completed order; the leader approves or rejects
(referral)."""

from gateway.http import json_body, query_args, route
from gateway.routes.roles import ANYONE, LEADER, MEMBER
from gateway.schemas import showcases as schemas
from gateway.schemas.common import page_of


class ShowcaseRoutes:
    @route(
        "POST",
        "/api/v1/showcases",
        roles=MEMBER,
        summary="Show off one of my completed orders (晒单)",
        tag="referral",
        body=schemas.ShowcaseBody,
        response=schemas.Showcase,
    )
    def create_showcase(self, request):
        return 201, self.call(
            "referral", "create_showcase", json_body(request, schemas.ShowcaseBody)
        )

    @route(
        "GET",
        "/api/v1/showcases",
        roles=ANYONE,
        tag="referral",
        summary="Showcases: members see approved ones and their own; staff all (?status=)",
        query=schemas.ShowcaseQuery,
        response=page_of(schemas.Showcase),
    )
    def list_showcases(self, request):
        return self.call("referral", "list_showcases", query_args(request, schemas.ShowcaseQuery))

    @route(
        "POST",
        "/api/v1/showcases/<showcase_id>/approve",
        roles=LEADER,
        status="200",
        tag="referral",
        summary="Approve a showcase: it is published and its author earns the points (once)",
        response=schemas.Showcase,
    )
    def approve_showcase(self, request, showcase_id):
        return self.call("referral", "approve_showcase", showcase_id)

    @route(
        "POST",
        "/api/v1/showcases/<showcase_id>/reject",
        roles=LEADER,
        status="200",
        tag="referral",
        summary="Reject a showcase",
        response=schemas.Showcase,
    )
    def reject_showcase(self, request, showcase_id):
        return self.call("referral", "reject_showcase", showcase_id)
