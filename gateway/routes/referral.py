"""Invitations: my code and link, share posters, the program's rules, every invitation's
outcome and the leaderboard (referral)."""

import base64

from werkzeug.wrappers import Response

from gateway.http import json_body, query_args, route
from gateway.routes.roles import ANYONE, LEADER, MEMBER, STAFF
from gateway.schemas import referral as schemas
from gateway.schemas.common import page_of


def png(poster):
    """A poster from referral (base64 over RPC) as the image itself."""
    return Response(
        base64.b64decode(poster["content_base64"]),
        content_type="image/png",
        headers={
            "Content-Disposition": f'inline; filename="{poster["filename"]}"',
            "Cache-Control": "private, max-age=300",
        },
    )


class ReferralRoutes:
    @route(
        "GET",
        "/api/v1/me/referral",
        roles=MEMBER,
        summary="My invite code and link",
        tag="referral",
        response=schemas.Referral,
    )
    def my_referral(self, request):
        return self.call("referral", "get_my_referral")

    @route(
        "GET",
        "/api/v1/me/referral/poster.png",
        roles=MEMBER,
        tag="referral",
        summary="My invite poster (image/png): community, my nickname, QR to my invite link",
    )
    def my_invite_poster(self, request):
        return png(self.call("referral", "invite_poster"))

    @route(
        "GET",
        "/api/v1/products/<product_id>/poster.png",
        roles=MEMBER,
        tag="referral",
        summary="A product's share poster (image/png) with a QR to the product and my code",
    )
    def product_poster(self, request, product_id):
        return png(self.call("referral", "product_poster", product_id))

    @route(
        "GET",
        "/api/v1/referral/settings",
        roles=STAFF,
        summary="The referral program's rules",
        tag="referral",
        response=schemas.ReferralSettings,
    )
    def referral_settings(self, request):
        return self.call("referral", "get_settings")

    @route(
        "PUT",
        "/api/v1/referral/settings",
        roles=LEADER,
        summary="Change some referral rules (partial)",
        tag="referral",
        body=schemas.ReferralSettingsBody,
        response=schemas.ReferralSettings,
    )
    def update_referral_settings(self, request):
        return self.call(
            "referral", "update_settings", json_body(request, schemas.ReferralSettingsBody)
        )

    @route(
        "GET",
        "/api/v1/referrals",
        roles=STAFF,
        tag="referral",
        summary="Every invitation, its outcome and why a reward was refused (?status=)",
        query=schemas.ReferralRecordQuery,
        response=page_of(schemas.ReferralRecord),
    )
    def list_referrals(self, request):
        return self.call(
            "referral", "list_referrals", query_args(request, schemas.ReferralRecordQuery)
        )

    @route(
        "GET",
        "/api/v1/referral/leaderboard",
        roles=ANYONE,
        tag="referral",
        summary="Top inviters this week or month (?period=week|month), names masked",
        query=schemas.LeaderboardQuery,
        response=schemas.Leaderboard,
    )
    def leaderboard(self, request):
        return self.call("referral", "leaderboard", query_args(request, schemas.LeaderboardQuery))
