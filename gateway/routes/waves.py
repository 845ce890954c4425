"""Group-buy waves (团期, catalog)."""

from gateway.http import dates_as_text, json_body, query_args, route
from gateway.routes.roles import ANYONE, STAFF
from gateway.schemas import waves as schemas
from gateway.schemas.common import page_of


class WaveRoutes:
    @route(
        "POST",
        "/api/v1/waves",
        roles=STAFF,
        summary="Open a group-buy wave",
        tag="waves",
        body=schemas.WaveBody,
        response=schemas.Wave,
    )
    def create_wave(self, request):
        payload = dates_as_text(json_body(request, schemas.WaveBody), "cutoff_at", "pickup_at")
        return 201, self.call("catalog", "create_wave", payload)

    @route(
        "GET",
        "/api/v1/waves",
        roles=ANYONE,
        summary="Group-buy waves",
        tag="waves",
        query=schemas.WaveQuery,
        response=page_of(schemas.Wave),
    )
    def list_waves(self, request):
        return self.call("catalog", "list_waves", query_args(request, schemas.WaveQuery))

    @route(
        "GET",
        "/api/v1/waves/<wave_id>",
        roles=ANYONE,
        summary="A wave with what is left",
        tag="waves",
        response=schemas.Wave,
    )
    def get_wave(self, request, wave_id):
        return self.call("catalog", "get_wave", wave_id)

    @route(
        "POST",
        "/api/v1/waves/<wave_id>/close",
        roles=STAFF,
        summary="Close a wave before its cut-off",
        tag="waves",
        status="200",
        response=schemas.Wave,
    )
    def close_wave(self, request, wave_id):
        return self.call("catalog", "close_wave", wave_id)
