"""Campaigns (自动化营销), the rewards catalogue (积分兑换) and recommendations (crm)."""

from gateway import schemas
from gateway.http import json_body, query_args, route
from gateway.routes.orders import idempotency_key
from gateway.routes.roles import ANYONE, LEADER, MEMBER, STAFF


class CampaignRoutes:
    @route("POST", "/api/v1/campaigns", roles=LEADER, summary="Create an automated campaign", tag="campaigns",
           body=schemas.CampaignBody, response=schemas.Campaign)
    def create_campaign(self, request):
        return 201, self.call("crm", "create_campaign", json_body(request, schemas.CampaignBody))

    @route("GET", "/api/v1/campaigns", roles=STAFF, summary="The community's campaigns (birthday greeting included)",
           tag="campaigns", query=schemas.PageSchema, response=schemas.page_of(schemas.Campaign))
    def list_campaigns(self, request):
        return self.call("crm", "list_campaigns", query_args(request, schemas.PageSchema))

    @route("GET", "/api/v1/campaigns/<campaign_id>", roles=STAFF, summary="A campaign with stats {sent, converted, revenue_cents}",
           tag="campaigns", response=schemas.Campaign)
    def get_campaign(self, request, campaign_id):
        return self.call("crm", "get_campaign", campaign_id)

    @route("PATCH", "/api/v1/campaigns/<campaign_id>", roles=LEADER, summary="Pause, resume or change a campaign",
           tag="campaigns", body=schemas.CampaignPatch, response=schemas.Campaign)
    def update_campaign(self, request, campaign_id):
        return self.call("crm", "update_campaign", campaign_id, json_body(request, schemas.CampaignPatch))

    @route("GET", "/api/v1/rewards", roles=ANYONE, summary="The rewards catalogue (members: active rewards)",
           tag="rewards", query=schemas.PageSchema, response=schemas.page_of(schemas.Reward))
    def list_rewards(self, request):
        return self.call("crm", "list_rewards", query_args(request, schemas.PageSchema))

    @route("POST", "/api/v1/rewards", roles=LEADER, summary="Add a reward (points for a goods coupon or a coupon)",
           tag="rewards", body=schemas.RewardBody, response=schemas.Reward)
    def create_reward(self, request):
        return 201, self.call("crm", "create_reward", json_body(request, schemas.RewardBody))

    @route("PATCH", "/api/v1/rewards/<reward_id>", roles=LEADER, summary="Change or withdraw a reward",
           tag="rewards", body=schemas.RewardPatch, response=schemas.Reward)
    def update_reward(self, request, reward_id):
        return self.call("crm", "update_reward", reward_id, json_body(request, schemas.RewardPatch))

    @route("POST", "/api/v1/rewards/<reward_id>/redeem", roles=MEMBER, status="200",
           summary="Spend points on a reward (Idempotency-Key; too few points: 409)", tag="rewards",
           response=schemas.Redemption)
    def redeem_reward(self, request, reward_id):
        return self.call("crm", "redeem_reward", reward_id, idempotency_key(request))

    @route("GET", "/api/v1/me/recommendations", roles=MEMBER, summary="Products for me: bought together, upgrades, popular",
           tag="rewards", response=schemas.Recommendations)
    def my_recommendations(self, request):
        return self.call("crm", "my_recommendations")
