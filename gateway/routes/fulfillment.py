"""Fulfilment (履约): moving orders (a wave's, one order, or a batch of those outside waves),
handing them over at the pickup point, and the lists, slips and storeroom counts for it."""

from werkzeug.wrappers import Response

from gateway.http import dates_as_text, json_body, preferred_locale, query_args, route
from gateway.routes.roles import STAFF
from gateway.schemas import fulfillment as schemas
from gateway.schemas.common import page_of


class FulfillmentRoutes:
    @route(
        "POST",
        "/api/v1/waves/<wave_id>/fulfillment",
        roles=STAFF,
        status="200",
        summary="Move every paid order of a wave: packed, delivering, ready_for_pickup",
        tag="fulfillment",
        body=schemas.WaveFulfillmentBody,
        response=schemas.WaveFulfillment,
    )
    def move_wave(self, request, wave_id):
        return self.call(
            "fulfillment", "move_wave", wave_id, json_body(request, schemas.WaveFulfillmentBody)
        )

    @route(
        "POST",
        "/api/v1/orders/<order_id>/fulfillment",
        roles=STAFF,
        status="200",
        summary="Move one paid order one step (an order outside a wave names its pickup point)",
        tag="fulfillment",
        body=schemas.OrderFulfillmentBody,
        response=schemas.OrderFulfillment,
    )
    def move_order(self, request, order_id):
        return self.call(
            "fulfillment", "move_order", order_id, json_body(request, schemas.OrderFulfillmentBody)
        )

    @route(
        "POST",
        "/api/v1/pickups/verify",
        roles=STAFF,
        status="200",
        summary="Leader: a member's pickup code completes the order",
        tag="fulfillment",
        body=schemas.PickupVerifyBody,
        response=schemas.PickupVerified,
        problems=(429,),
    )
    def verify_pickup(self, request):
        return self.call(
            "fulfillment", "verify_pickup", json_body(request, schemas.PickupVerifyBody)
        )

    @route(
        "GET",
        "/api/v1/waves/<wave_id>/picking-list",
        roles=STAFF,
        summary="A wave's picking list by product or by member (format=csv opens in Excel)",
        tag="fulfillment",
        query=schemas.PickingListQuery,
        response=schemas.PickingList,
    )
    def picking_list(self, request, wave_id):
        query = query_args(request, schemas.PickingListQuery)
        listing = self.call("fulfillment", "picking_list", wave_id, query)
        return excel_csv(listing) if query["format"] == "csv" else listing

    @route(
        "GET",
        "/api/v1/waves/<wave_id>/purchase-list",
        roles=STAFF,
        summary="The supplier's purchase list: demand per product by the pickup time (format=csv)",
        tag="fulfillment",
        query=schemas.PurchaseListQuery,
        response=schemas.PurchaseList,
    )
    def purchase_list(self, request, wave_id):
        query = query_args(request, schemas.PurchaseListQuery)
        listing = self.call("fulfillment", "purchase_list", wave_id, query)
        return excel_csv(listing) if query["format"] == "csv" else listing

    @route(
        "PUT",
        "/api/v1/stock-on-hand/<product_id>",
        roles=STAFF,
        summary="The leader's count of a product already in the storeroom (现货)",
        tag="fulfillment",
        body=schemas.StockOnHandBody,
        response=schemas.StockOnHand,
    )
    def set_stock_on_hand(self, request, product_id):
        payload = json_body(request, schemas.StockOnHandBody)
        self.call("catalog", "get_product", product_id)  # the community's product, or 404
        return self.call("fulfillment", "set_stock_on_hand", product_id, payload)

    @route(
        "GET",
        "/api/v1/stock-on-hand",
        roles=STAFF,
        summary="What the storeroom holds",
        tag="fulfillment",
        response=page_of(schemas.StockOnHand),
    )
    def list_stock_on_hand(self, request):
        return self.call("fulfillment", "list_stock_on_hand")

    @route(
        "GET",
        "/api/v1/waves/<wave_id>/packing-slips",
        roles=STAFF,
        summary="Printable packing slips (text/html), one per order: paper=a4|80mm",
        tag="fulfillment",
        query=schemas.PackingSlipsQuery,
    )
    def packing_slips(self, request, wave_id):
        query = query_args(request, schemas.PackingSlipsQuery)
        slips = self.call(
            "fulfillment", "packing_slips", wave_id, query, locale=preferred_locale(request)
        )
        # Everything interpolated is escaped; the policy makes sure no script would run anyway.
        return Response(
            slips["html"].encode("utf-8"),
            content_type="text/html; charset=utf-8",
            headers={
                "Content-Disposition": f'inline; filename="{slips["filename"]}"',
                "Content-Security-Policy": (
                    "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
                ),
            },
        )

    @route(
        "GET",
        "/api/v1/batches",
        roles=STAFF,
        summary="Paid orders outside waves, one batch per pickup point, for a day",
        tag="fulfillment",
        query=schemas.BatchQuery,
        response=schemas.Batches,
    )
    def list_batches(self, request):
        query = query_args(request, schemas.BatchQuery)
        return self.call("fulfillment", "list_batches", dates_as_text(query, "date"))

    @route(
        "POST",
        "/api/v1/batches/fulfillment",
        roles=STAFF,
        status="200",
        summary="Move every paid order of a batch (day, pickup point) one step",
        tag="fulfillment",
        body=schemas.BatchMoveBody,
        response=schemas.BatchMoved,
    )
    def move_batch(self, request):
        payload = json_body(request, schemas.BatchMoveBody)
        return self.call("fulfillment", "move_batch", dates_as_text(payload, "date"))


def excel_csv(listing):
    """A CSV download; the byte-order mark makes Excel read the UTF-8 (Chinese names) correctly."""
    return Response(
        ("\ufeff" + listing["content"]).encode("utf-8"),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{listing["filename"]}"'},
    )
