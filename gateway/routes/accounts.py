"""Communities, accounts and members (crm)."""

from gateway.http import dates_as_text, json_body, preferred_locale, query_args, route
from gateway.routes.roles import ANYONE, LEADER, MEMBER
from gateway.schemas import accounts as schemas
from gateway.schemas.common import Deleted, page_of
from services.infra.schemas import PageSchema


class AccountRoutes:
    @route(
        "POST",
        "/api/v1/leaders/signup",
        summary="A leader opens a community",
        tag="accounts",
        body=schemas.LeaderSignup,
        response=schemas.Session,
        problems=(409,),
    )
    def signup(self, request):
        identity = self.call("crm", "signup_leader", json_body(request, schemas.LeaderSignup))
        return self.session(identity, status=201)

    @route(
        "POST",
        "/api/v1/auth/login",
        summary="Log in with phone and password",
        tag="accounts",
        status="200",
        body=schemas.Login,
        response=schemas.Session,
        problems=(401, 409, 429),
    )
    def login(self, request):
        identity = self.call("crm", "authenticate", json_body(request, schemas.Login))
        return self.session(identity)

    @route(
        "GET", "/api/v1/me", roles=ANYONE, summary="Who I am", tag="accounts", response=schemas.Me
    )
    def me(self, request):
        return self.call("crm", "get_me")

    @route(
        "GET",
        "/api/v1/communities/<slug>",
        summary="A community's public card",
        tag="accounts",
        response=schemas.CommunityCard,
    )
    def community_card(self, request, slug):
        return self.call("crm", "get_community_card", slug)

    @route(
        "POST",
        "/api/v1/communities/<slug>/join",
        summary="A resident joins",
        tag="accounts",
        body=schemas.Join,
        response=schemas.JoinResult,
        problems=(409,),
    )
    def join(self, request, slug):
        payload = dates_as_text(json_body(request, schemas.Join), "birthday")
        if payload.get("invite_code"):
            # An unknown code, or one of another community, is refused before anyone is created
            # (422); referral owns the codes.
            self.call("referral", "check_invite_code", slug, payload["invite_code"])
        identity = self.call("crm", "join_community", slug, payload)
        return self.session(identity, status=201, member=identity["member"])

    # --- staff (团长助理): the leader's helpers, who may not decide money or rules ---------

    @route(
        "POST",
        "/api/v1/community/staff",
        roles=LEADER,
        summary="Add a staff account (团长助理)",
        tag="staff",
        body=schemas.StaffBody,
        response=schemas.StaffAccount,
    )
    def add_staff(self, request):
        return 201, self.call("crm", "add_staff", json_body(request, schemas.StaffBody))

    @route(
        "GET",
        "/api/v1/community/staff",
        roles=LEADER,
        summary="The community's staff accounts",
        tag="staff",
        response=schemas.StaffList,
    )
    def list_staff(self, request):
        return self.call("crm", "list_staff")

    @route(
        "DELETE",
        "/api/v1/community/staff/<account_id>",
        roles=LEADER,
        status="200",
        summary=(
            "Remove a staff account: its login and the tokens it holds stop working (again: 404)"
        ),
        tag="staff",
        response=Deleted,
    )
    def remove_staff(self, request, account_id):
        return self.call("crm", "remove_staff", account_id)

    @route(
        "GET",
        "/api/v1/me/inbox",
        roles=MEMBER,
        summary="My messages (pickup notices, ...)",
        tag="accounts",
        query=PageSchema,
        response=page_of(schemas.InboxMessage),
    )
    def my_inbox(self, request):
        query = query_args(request, PageSchema)
        return self.call("crm", "list_inbox", query, locale=preferred_locale(request))
