"""Points and coupons (crm)."""

from gateway.http import json_body, query_args, route
from gateway.routes.roles import MEMBER, STAFF
from gateway.schemas import loyalty as schemas
from gateway.schemas.common import page_of
from services.infra.schemas import PageSchema


class LoyaltyRoutes:
    @route(
        "GET",
        "/api/v1/me/points",
        roles=MEMBER,
        summary="My points: balance, held, ledger",
        tag="loyalty",
        query=PageSchema,
        response=schemas.Points,
    )
    def my_points(self, request):
        return self.call("crm", "my_points", query_args(request, PageSchema))

    @route(
        "GET",
        "/api/v1/me/coupons",
        roles=MEMBER,
        summary="My coupons (?status=available)",
        tag="loyalty",
        query=schemas.CouponQuery,
        response=page_of(schemas.Coupon),
    )
    def my_coupons(self, request):
        return self.call("crm", "my_coupons", query_args(request, schemas.CouponQuery))

    @route(
        "POST",
        "/api/v1/members/<member_id>/points",
        roles=STAFF,
        status="200",
        summary="Add or take away a member's points by hand",
        tag="loyalty",
        body=schemas.PointsAdjustBody,
        response=schemas.PointsAdjusted,
    )
    def adjust_points(self, request, member_id):
        return self.call(
            "crm", "adjust_points", member_id, json_body(request, schemas.PointsAdjustBody)
        )

    @route(
        "POST",
        "/api/v1/members/<member_id>/coupons",
        roles=STAFF,
        summary="Give a member a coupon",
        tag="loyalty",
        body=schemas.CouponBody,
        response=schemas.Coupon,
    )
    def issue_coupon(self, request, member_id):
        return 201, self.call(
            "crm", "issue_coupon", member_id, json_body(request, schemas.CouponBody)
        )
