"""After-sale (售后) cases and compensations (fulfilment)."""

from gateway.http import json_body, query_args, route
from gateway.routes.roles import ANYONE, LEADER, MEMBER
from gateway.schemas import after_sales as schemas
from gateway.schemas.common import page_of


class AfterSaleRoutes:
    @route(
        "POST",
        "/api/v1/orders/<order_id>/after-sales",
        roles=MEMBER,
        summary="Member: open an after-sale case on a completed order (within the window)",
        tag="after-sales",
        body=schemas.AfterSaleBody,
        response=schemas.AfterSale,
    )
    def open_after_sale(self, request, order_id):
        return 201, self.call(
            "fulfillment", "open_after_sale", order_id, json_body(request, schemas.AfterSaleBody)
        )

    @route(
        "GET",
        "/api/v1/after-sales",
        roles=ANYONE,
        summary="After-sale cases (staff: all; member: own)",
        tag="after-sales",
        query=schemas.AfterSaleQuery,
        response=page_of(schemas.AfterSale),
    )
    def list_after_sales(self, request):
        return self.call(
            "fulfillment", "list_after_sales", query_args(request, schemas.AfterSaleQuery)
        )

    @route(
        "GET",
        "/api/v1/after-sales/<case_id>",
        roles=ANYONE,
        summary="An after-sale case",
        tag="after-sales",
        response=schemas.AfterSale,
    )
    def get_after_sale(self, request, case_id):
        return self.call("fulfillment", "get_after_sale", case_id)

    @route(
        "POST",
        "/api/v1/after-sales/<case_id>/resolve",
        roles=LEADER,
        status="200",
        summary="Leader: resolve with a refund, a coupon or points (exactly once)",
        tag="after-sales",
        body=schemas.ResolveAfterSaleBody,
        response=schemas.AfterSale,
    )
    def resolve_after_sale(self, request, case_id):
        return self.call(
            "fulfillment",
            "resolve_after_sale",
            case_id,
            json_body(request, schemas.ResolveAfterSaleBody),
        )

    @route(
        "POST",
        "/api/v1/after-sales/<case_id>/reject",
        roles=LEADER,
        status="200",
        summary="Leader: reject a case, saying why",
        tag="after-sales",
        body=schemas.RejectAfterSaleBody,
        response=schemas.AfterSale,
    )
    def reject_after_sale(self, request, case_id):
        return self.call(
            "fulfillment",
            "reject_after_sale",
            case_id,
            json_body(request, schemas.RejectAfterSaleBody),
        )

    @route(
        "POST",
        "/api/v1/orders/<order_id>/compensate",
        roles=LEADER,
        status="200",
        summary="Leader: compensate a paid order without a case (refund, coupon or points)",
        tag="after-sales",
        body=schemas.CompensateBody,
        response=schemas.Compensation,
    )
    def compensate_order(self, request, order_id):
        return self.call(
            "fulfillment", "compensate_order", order_id, json_body(request, schemas.CompensateBody)
        )
