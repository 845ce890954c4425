"""Members (admission queue, profiles, tags), posts and notification channels (crm)."""

from gateway import schemas
from gateway.http import dates_as_text, json_body, query_args, route
from gateway.routes.roles import ANYONE, LEADER, MEMBER, STAFF


class MemberRoutes:
    @route("GET", "/api/v1/members", roles=STAFF, summary="Members (?status=pending is the approval queue, ?tag=, ?q=)",
           tag="members", query=schemas.MemberQuery, response=schemas.page_of(schemas.MemberSummary))
    def list_members(self, request):
        return self.call("crm", "list_members", query_args(request, schemas.MemberQuery))

    @route("GET", "/api/v1/members/<member_id>", roles=STAFF, summary="A member: profile, tags, points, tier, orders",
           tag="members", response=schemas.MemberDetail)
    def get_member(self, request, member_id):
        return self.call("crm", "get_member", member_id)

    @route("PATCH", "/api/v1/members/<member_id>", roles=LEADER, summary="Tag a member, keep a note",
           tag="members", body=schemas.MemberPatch, response=schemas.MemberDetail)
    def update_member(self, request, member_id):
        return self.call("crm", "update_member", member_id, json_body(request, schemas.MemberPatch))

    @route("POST", "/api/v1/members/<member_id>/approve", roles=LEADER, status="200",
           summary="Let a pending member in", tag="members", response=schemas.MemberSummary)
    def approve_member(self, request, member_id):
        return self.call("crm", "approve_member", member_id)

    @route("POST", "/api/v1/members/<member_id>/reject", roles=LEADER, status="200",
           summary="Turn a pending member away", tag="members", response=schemas.MemberSummary)
    def reject_member(self, request, member_id):
        return self.call("crm", "reject_member", member_id)

    @route("PATCH", "/api/v1/me", roles=MEMBER, summary="My profile: building, unit, birthday, household notes",
           tag="members", body=schemas.ProfilePatch, response=schemas.MemberSummary)
    def update_me(self, request):
        payload = json_body(request, schemas.ProfilePatch)
        return self.call("crm", "update_me", dates_as_text(payload, "birthday"))

    # --- posts -------------------------------------------------------------------------------

    @route("POST", "/api/v1/posts", roles=LEADER, summary="Write a knowledge or event post", tag="posts",
           body=schemas.PostBody, response=schemas.Post)
    def create_post(self, request):
        payload = dates_as_text(json_body(request, schemas.PostBody), "event_at")
        return 201, self.call("crm", "create_post", payload)

    @route("GET", "/api/v1/posts", roles=ANYONE, summary="The community's posts, newest first", tag="posts",
           query=schemas.PostQuery, response=schemas.page_of(schemas.Post))
    def list_posts(self, request):
        return self.call("crm", "list_posts", query_args(request, schemas.PostQuery))

    @route("GET", "/api/v1/posts/<post_id>", roles=ANYONE, summary="One post", tag="posts", response=schemas.Post)
    def get_post(self, request, post_id):
        return self.call("crm", "get_post", post_id)

    @route("PATCH", "/api/v1/posts/<post_id>", roles=LEADER, summary="Change or (un)publish a post", tag="posts",
           body=schemas.PostBody, response=schemas.Post)
    def update_post(self, request, post_id):
        payload = dates_as_text(json_body(request, schemas.PostBody, partial=True), "event_at")
        return self.call("crm", "update_post", post_id, payload)

    @route("DELETE", "/api/v1/posts/<post_id>", roles=LEADER, status="200", summary="Delete a post", tag="posts",
           response=schemas.Deleted)
    def delete_post(self, request, post_id):
        return self.call("crm", "delete_post", post_id)

    # --- notification channels ---------------------------------------------------------------

    @route("POST", "/api/v1/community/channels", roles=LEADER, summary="Add a notification channel (webhook, SMTP)",
           tag="notifications", body=schemas.ChannelBody, response=schemas.NotificationChannel)
    def add_channel(self, request):
        payload = json_body(request, schemas.ChannelBody)
        if "sender" in payload:
            payload["from"] = payload.pop("sender")
        return 201, self.call("crm", "add_channel", payload)

    @route("GET", "/api/v1/community/channels", roles=LEADER, summary="The community's channels (no secrets)",
           tag="notifications", response=schemas.ChannelList)
    def list_channels(self, request):
        return self.call("crm", "list_channels")

    @route("DELETE", "/api/v1/community/channels/<channel_id>", roles=LEADER, status="200",
           summary="Remove a channel (what it still had to send fails)", tag="notifications",
           response=schemas.Deleted)
    def remove_channel(self, request, channel_id):
        return self.call("crm", "remove_channel", channel_id)

    @route("GET", "/api/v1/community/deliveries", roles=LEADER, summary="What the channels delivered, and what failed",
           tag="notifications", query=schemas.DeliveryQuery, response=schemas.page_of(schemas.Delivery))
    def list_deliveries(self, request):
        return self.call("crm", "list_deliveries", query_args(request, schemas.DeliveryQuery))
