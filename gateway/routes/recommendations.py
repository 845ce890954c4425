"""Products recommended to a member: bought together, upgrades, popular (crm)."""

from gateway.http import route
from gateway.routes.roles import MEMBER
from gateway.schemas import recommendations as schemas


class RecommendationRoutes:
    @route(
        "GET",
        "/api/v1/me/recommendations",
        roles=MEMBER,
        summary="Products for me: bought together, upgrades, popular",
        tag="rewards",
        response=schemas.Recommendations,
    )
    def my_recommendations(self, request):
        return self.call("crm", "my_recommendations")
