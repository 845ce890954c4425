"""Members: the admission queue, profiles and tags (crm)."""

from gateway.http import dates_as_text, json_body, query_args, route
from gateway.routes.roles import LEADER, MEMBER, STAFF
from gateway.schemas import members as schemas
from gateway.schemas.common import page_of


class MemberRoutes:
    @route(
        "GET",
        "/api/v1/members",
        roles=STAFF,
        summary="Members (?status=pending is the approval queue, ?tag=, ?q=)",
        tag="members",
        query=schemas.MemberQuery,
        response=page_of(schemas.MemberSummary),
    )
    def list_members(self, request):
        return self.call("crm", "list_members", query_args(request, schemas.MemberQuery))

    @route(
        "GET",
        "/api/v1/members/<member_id>",
        roles=STAFF,
        summary="A member: profile, tags, points, tier, orders",
        tag="members",
        response=schemas.MemberDetail,
    )
    def get_member(self, request, member_id):
        return self.call("crm", "get_member", member_id)

    @route(
        "PATCH",
        "/api/v1/members/<member_id>",
        roles=LEADER,
        summary="Tag a member, keep a note",
        tag="members",
        body=schemas.MemberPatch,
        response=schemas.MemberDetail,
    )
    def update_member(self, request, member_id):
        return self.call("crm", "update_member", member_id, json_body(request, schemas.MemberPatch))

    @route(
        "POST",
        "/api/v1/members/<member_id>/approve",
        roles=LEADER,
        status="200",
        summary="Let a pending member in",
        tag="members",
        response=schemas.MemberSummary,
    )
    def approve_member(self, request, member_id):
        return self.call("crm", "approve_member", member_id)

    @route(
        "POST",
        "/api/v1/members/<member_id>/reject",
        roles=LEADER,
        status="200",
        summary="Turn a pending member away",
        tag="members",
        response=schemas.MemberSummary,
    )
    def reject_member(self, request, member_id):
        return self.call("crm", "reject_member", member_id)

    @route(
        "PATCH",
        "/api/v1/me",
        roles=MEMBER,
        summary="My profile: building, unit, birthday, household notes",
        tag="members",
        body=schemas.ProfilePatch,
        response=schemas.MemberSummary,
    )
    def update_me(self, request):
        payload = json_body(request, schemas.ProfilePatch)
        return self.call("crm", "update_me", dates_as_text(payload, "birthday"))
