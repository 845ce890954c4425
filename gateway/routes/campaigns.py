"""Automated campaigns (自动化营销, crm)."""

from gateway.http import json_body, query_args, route
from gateway.routes.roles import LEADER, STAFF
from gateway.schemas import campaigns as schemas
from gateway.schemas.common import page_of
from services.infra.schemas import PageSchema


class CampaignRoutes:
    @route(
        "POST",
        "/api/v1/campaigns",
        roles=LEADER,
        summary="Create an automated campaign",
        tag="campaigns",
        body=schemas.CampaignBody,
        response=schemas.Campaign,
    )
    def create_campaign(self, request):
        return 201, self.call("crm", "create_campaign", json_body(request, schemas.CampaignBody))

    @route(
        "GET",
        "/api/v1/campaigns",
        roles=STAFF,
        summary="The community's campaigns (birthday greeting included)",
        tag="campaigns",
        query=PageSchema,
        response=page_of(schemas.Campaign),
    )
    def list_campaigns(self, request):
        return self.call("crm", "list_campaigns", query_args(request, PageSchema))

    @route(
        "GET",
        "/api/v1/campaigns/<campaign_id>",
        roles=STAFF,
        summary="A campaign with stats {sent, converted, revenue_cents}",
        tag="campaigns",
        response=schemas.Campaign,
    )
    def get_campaign(self, request, campaign_id):
        return self.call("crm", "get_campaign", campaign_id)

    @route(
        "PATCH",
        "/api/v1/campaigns/<campaign_id>",
        roles=LEADER,
        summary="Pause, resume or change a campaign",
        tag="campaigns",
        body=schemas.CampaignPatch,
        response=schemas.Campaign,
    )
    def update_campaign(self, request, campaign_id):
        return self.call(
            "crm", "update_campaign", campaign_id, json_body(request, schemas.CampaignPatch)
        )
