"""Community settings, points, tiers and coupons (crm)."""

from gateway import schemas
from gateway.http import json_body, query_args, route
from gateway.routes.roles import LEADER, MEMBER, STAFF


class LoyaltyRoutes:
    @route("GET", "/api/v1/community/settings", roles=STAFF, summary="The community's settings",
           tag="loyalty", response=schemas.CommunitySettings)
    def get_settings(self, request):
        # The referral program's rules are referral's: composed here under "referral".
        return {**self.call("crm", "get_settings"), "referral": self.call("referral", "get_settings")}

    @route("PUT", "/api/v1/community/settings", roles=LEADER, summary="Change some settings (partial)",
           tag="loyalty", body=schemas.SettingsBody, response=schemas.CommunitySettings)
    def update_settings(self, request):
        changes = json_body(request, schemas.SettingsBody)
        referral_changes = changes.pop("referral", None)
        # Both parts passed the HTTP schema above. crm goes first: its cross-field rules (tiers)
        # are checked only there, and a 422 from it leaves referral untouched; referral's rules
        # are all in the HTTP schema, so after crm's write only an outage can stop it (503).
        answer = self.call("crm", "update_settings", changes)
        if referral_changes:
            referral = self.call("referral", "update_settings", referral_changes)
        else:
            referral = self.call("referral", "get_settings")
        return {**answer, "referral": referral}

    @route("GET", "/api/v1/me/points", roles=MEMBER, summary="My points: balance, held, ledger",
           tag="loyalty", query=schemas.PageSchema, response=schemas.Points)
    def my_points(self, request):
        return self.call("crm", "my_points", query_args(request, schemas.PageSchema))

    @route("GET", "/api/v1/me/coupons", roles=MEMBER, summary="My coupons (?status=available)",
           tag="loyalty", query=schemas.CouponQuery, response=schemas.page_of(schemas.Coupon))
    def my_coupons(self, request):
        return self.call("crm", "my_coupons", query_args(request, schemas.CouponQuery))

    @route("POST", "/api/v1/members/<member_id>/points", roles=STAFF, status="200",
           summary="Add or take away a member's points by hand", tag="loyalty",
           body=schemas.PointsAdjustBody, response=schemas.PointsAdjusted)
    def adjust_points(self, request, member_id):
        return self.call("crm", "adjust_points", member_id, json_body(request, schemas.PointsAdjustBody))

    @route("POST", "/api/v1/members/<member_id>/coupons", roles=STAFF, summary="Give a member a coupon",
           tag="loyalty", body=schemas.CouponBody, response=schemas.Coupon)
    def issue_coupon(self, request, member_id):
        return 201, self.call("crm", "issue_coupon", member_id, json_body(request, schemas.CouponBody))
