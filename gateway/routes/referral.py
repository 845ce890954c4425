"""Invitations, rewards, leaderboard, showcases and share posters (referral)."""

import base64

from werkzeug.wrappers import Response

from gateway import schemas
from gateway.http import json_body, query_args, route
from gateway.routes.roles import ANYONE, LEADER, MEMBER, STAFF


def png(poster):
    """A poster from referral (base64 over RPC) as the image itself."""
    return Response(base64.b64decode(poster["content_base64"]), content_type="image/png", headers={
        "Content-Disposition": f'inline; filename="{poster["filename"]}"',
        "Cache-Control": "private, max-age=300",
    })


class ReferralRoutes:
    @route("GET", "/api/v1/me/referral", roles=MEMBER, summary="My invite code and link", tag="referral",
           response=schemas.Referral)
    def my_referral(self, request):
        return self.call("referral", "get_my_referral")

    @route("GET", "/api/v1/me/referral/poster.png", roles=MEMBER, tag="referral",
           summary="My invite poster (image/png): community, my nickname, QR to my invite link")
    def my_invite_poster(self, request):
        return png(self.call("referral", "invite_poster"))

    @route("GET", "/api/v1/products/<product_id>/poster.png", roles=MEMBER, tag="referral",
           summary="A product's share poster (image/png) with a QR to the product and my code")
    def product_poster(self, request, product_id):
        return png(self.call("referral", "product_poster", product_id))

    @route("GET", "/api/v1/referral/settings", roles=STAFF, summary="The referral program's rules",
           tag="referral", response=schemas.ReferralSettings)
    def referral_settings(self, request):
        return self.call("referral", "get_settings")

    @route("PUT", "/api/v1/referral/settings", roles=LEADER, summary="Change some referral rules (partial)",
           tag="referral", body=schemas.ReferralSettingsBody, response=schemas.ReferralSettings)
    def update_referral_settings(self, request):
        return self.call("referral", "update_settings", json_body(request, schemas.ReferralSettingsBody))

    @route("GET", "/api/v1/referrals", roles=STAFF, tag="referral",
           summary="Every invitation, its outcome and why a reward was refused (?status=)",
           query=schemas.ReferralRecordQuery, response=schemas.page_of(schemas.ReferralRecord))
    def list_referrals(self, request):
        return self.call("referral", "list_referrals", query_args(request, schemas.ReferralRecordQuery))

    @route("GET", "/api/v1/referral/leaderboard", roles=ANYONE, tag="referral",
           summary="Top inviters this week or month (?period=week|month), names masked",
           query=schemas.LeaderboardQuery, response=schemas.Leaderboard)
    def leaderboard(self, request):
        return self.call("referral", "leaderboard", query_args(request, schemas.LeaderboardQuery))

    @route("POST", "/api/v1/showcases", roles=MEMBER, summary="Show off one of my completed orders (晒单)",
           tag="referral", body=schemas.ShowcaseBody, response=schemas.Showcase)
    def create_showcase(self, request):
        return 201, self.call("referral", "create_showcase", json_body(request, schemas.ShowcaseBody))

    @route("GET", "/api/v1/showcases", roles=ANYONE, tag="referral",
           summary="Showcases: members see approved ones and their own; staff all (?status=)",
           query=schemas.ShowcaseQuery, response=schemas.page_of(schemas.Showcase))
    def list_showcases(self, request):
        return self.call("referral", "list_showcases", query_args(request, schemas.ShowcaseQuery))

    @route("POST", "/api/v1/showcases/<showcase_id>/approve", roles=LEADER, status="200", tag="referral",
           summary="Approve a showcase: it is published and its author earns the points (once)",
           response=schemas.Showcase)
    def approve_showcase(self, request, showcase_id):
        return self.call("referral", "approve_showcase", showcase_id)

    @route("POST", "/api/v1/showcases/<showcase_id>/reject", roles=LEADER, status="200", tag="referral",
           summary="Reject a showcase", response=schemas.Showcase)
    def reject_showcase(self, request, showcase_id):
        return self.call("referral", "reject_showcase", showcase_id)
