"""Live sessions (直播场次, catalog). The live room's websocket is not here: see the gateway's
websocket module; these are the plain HTTP calls around it."""

from gateway.http import dates_as_text, json_body, query_args, route
from gateway.routes.roles import ANYONE, MEMBER, STAFF
from gateway.schemas import live_sessions as schemas
from gateway.schemas.common import page_of
from services.infra.schemas import PageSchema


class LiveSessionRoutes:
    @route(
        "POST",
        "/api/v1/live-sessions",
        roles=STAFF,
        summary="Schedule a live session",
        tag="live",
        body=schemas.LiveSessionBody,
        response=schemas.LiveSession,
    )
    def create_live_session(self, request):
        payload = dates_as_text(json_body(request, schemas.LiveSessionBody), "scheduled_at")
        return 201, self.call("catalog", "create_live_session", payload)

    @route(
        "GET",
        "/api/v1/live-sessions",
        roles=ANYONE,
        summary="Live sessions",
        tag="live",
        query=schemas.LiveSessionQuery,
        response=page_of(schemas.LiveSession),
    )
    def list_live_sessions(self, request):
        return self.call(
            "catalog", "list_live_sessions", query_args(request, schemas.LiveSessionQuery)
        )

    @route(
        "GET",
        "/api/v1/live-sessions/<session_id>",
        roles=ANYONE,
        summary="A live session: status, pinned item, what is left, stats",
        tag="live",
        response=schemas.LiveSession,
    )
    def get_live_session(self, request, session_id):
        return self.call("catalog", "get_live_session", session_id)

    @route(
        "POST",
        "/api/v1/live-sessions/<session_id>/start",
        roles=STAFF,
        summary="Go live",
        tag="live",
        status="200",
        response=schemas.LiveSession,
    )
    def start_live_session(self, request, session_id):
        return self.call("catalog", "start_live_session", session_id)

    @route(
        "POST",
        "/api/v1/live-sessions/<session_id>/end",
        roles=STAFF,
        summary="End the live session",
        tag="live",
        status="200",
        response=schemas.LiveSession,
    )
    def end_live_session(self, request, session_id):
        return self.call("catalog", "end_live_session", session_id)

    @route(
        "POST",
        "/api/v1/live-sessions/<session_id>/pin",
        roles=STAFF,
        summary="Pin the item being explained (讲解中)",
        tag="live",
        status="200",
        body=schemas.PinBody,
        response=schemas.LiveSession,
    )
    def pin_live_item(self, request, session_id):
        return self.call(
            "catalog", "pin_live_item", session_id, json_body(request, schemas.PinBody)
        )

    @route(
        "POST",
        "/api/v1/live-sessions/<session_id>/comments",
        roles=MEMBER,
        summary="Comment while live (rate limited)",
        tag="live",
        body=schemas.CommentBody,
        response=schemas.LiveComment,
        problems=(429,),
    )
    def post_live_comment(self, request, session_id):
        payload = json_body(request, schemas.CommentBody)
        return 201, self.call("catalog", "post_live_comment", session_id, payload)

    @route(
        "GET",
        "/api/v1/live-sessions/<session_id>/comments",
        roles=ANYONE,
        summary="Comments, newest first",
        tag="live",
        query=PageSchema,
        response=page_of(schemas.LiveComment),
    )
    def list_live_comments(self, request, session_id):
        return self.call(
            "catalog", "list_live_comments", session_id, query_args(request, PageSchema)
        )

    @route(
        "POST",
        "/api/v1/live-sessions/<session_id>/comments/<comment_id>/hide",
        roles=STAFF,
        summary="Hide a comment",
        tag="live",
        status="200",
        response=schemas.LiveComment,
    )
    def hide_live_comment(self, request, session_id, comment_id):
        return self.call("catalog", "hide_live_comment", session_id, comment_id)
