"""Invitations (referral)."""

from gateway import schemas
from gateway.http import route
from gateway.routes.roles import MEMBER


class ReferralRoutes:
    @route("GET", "/api/v1/me/referral", roles=MEMBER, summary="My invite code and link", tag="referral",
           response=schemas.Referral)
    def my_referral(self, request):
        return self.call("referral", "get_my_referral")
