"""The rewards catalogue (积分兑换): members spend points on a reward (crm)."""

from gateway.http import json_body, query_args, route
from gateway.routes.orders import IDEMPOTENCY_KEY, idempotency_key
from gateway.routes.roles import ANYONE, LEADER, MEMBER
from gateway.schemas import rewards as schemas
from gateway.schemas.common import page_of
from services.infra.schemas import PageSchema


class RewardRoutes:
    @route(
        "GET",
        "/api/v1/rewards",
        roles=ANYONE,
        summary="The rewards catalogue (members: active rewards)",
        tag="rewards",
        query=PageSchema,
        response=page_of(schemas.Reward),
    )
    def list_rewards(self, request):
        return self.call("crm", "list_rewards", query_args(request, PageSchema))

    @route(
        "POST",
        "/api/v1/rewards",
        roles=LEADER,
        summary="Add a reward (points for a goods coupon or a coupon)",
        tag="rewards",
        body=schemas.RewardBody,
        response=schemas.Reward,
    )
    def create_reward(self, request):
        return 201, self.call("crm", "create_reward", json_body(request, schemas.RewardBody))

    @route(
        "PATCH",
        "/api/v1/rewards/<reward_id>",
        roles=LEADER,
        summary="Change or withdraw a reward",
        tag="rewards",
        body=schemas.RewardPatch,
        response=schemas.Reward,
    )
    def update_reward(self, request, reward_id):
        return self.call("crm", "update_reward", reward_id, json_body(request, schemas.RewardPatch))

    @route(
        "POST",
        "/api/v1/rewards/<reward_id>/redeem",
        roles=MEMBER,
        status="200",
        summary="Spend points on a reward (Idempotency-Key; too few points: 409)",
        tag="rewards",
        response=schemas.Redemption,
        headers=(IDEMPOTENCY_KEY,),
    )
    def redeem_reward(self, request, reward_id):
        return self.call("crm", "redeem_reward", reward_id, idempotency_key(request))
