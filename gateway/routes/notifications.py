"""Notification channels (webhook, SMTP) and what they delivered (crm)."""

from gateway.http import json_body, query_args, route
from gateway.routes.roles import LEADER
from gateway.schemas import notifications as schemas
from gateway.schemas.common import Deleted, page_of


class NotificationRoutes:
    @route(
        "POST",
        "/api/v1/community/channels",
        roles=LEADER,
        summary="Add a notification channel (webhook, SMTP)",
        tag="notifications",
        body=schemas.ChannelBody,
        response=schemas.NotificationChannel,
    )
    def add_channel(self, request):
        payload = json_body(request, schemas.ChannelBody)
        if "sender" in payload:
            payload["from"] = payload.pop("sender")
        return 201, self.call("crm", "add_channel", payload)

    @route(
        "GET",
        "/api/v1/community/channels",
        roles=LEADER,
        summary="The community's channels (no secrets)",
        tag="notifications",
        response=schemas.ChannelList,
    )
    def list_channels(self, request):
        return self.call("crm", "list_channels")

    @route(
        "DELETE",
        "/api/v1/community/channels/<channel_id>",
        roles=LEADER,
        status="200",
        summary="Remove a channel (what it still had to send fails)",
        tag="notifications",
        response=Deleted,
    )
    def remove_channel(self, request, channel_id):
        return self.call("crm", "remove_channel", channel_id)

    @route(
        "GET",
        "/api/v1/community/deliveries",
        roles=LEADER,
        summary="What the channels delivered, and what failed",
        tag="notifications",
        query=schemas.DeliveryQuery,
        response=page_of(schemas.Delivery),
    )
    def list_deliveries(self, request):
        return self.call("crm", "list_deliveries", query_args(request, schemas.DeliveryQuery))
