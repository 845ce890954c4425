"""Knowledge and event posts (crm)."""

from gateway.http import dates_as_text, json_body, query_args, route
from gateway.routes.roles import ANYONE, LEADER
from gateway.schemas import posts as schemas
from gateway.schemas.common import Deleted, page_of


class PostRoutes:
    @route(
        "POST",
        "/api/v1/posts",
        roles=LEADER,
        summary="Write a knowledge or event post",
        tag="posts",
        body=schemas.PostBody,
        response=schemas.Post,
    )
    def create_post(self, request):
        payload = dates_as_text(json_body(request, schemas.PostBody), "event_at")
        return 201, self.call("crm", "create_post", payload)

    @route(
        "GET",
        "/api/v1/posts",
        roles=ANYONE,
        summary="The community's posts, newest first",
        tag="posts",
        query=schemas.PostQuery,
        response=page_of(schemas.Post),
    )
    def list_posts(self, request):
        return self.call("crm", "list_posts", query_args(request, schemas.PostQuery))

    @route(
        "GET",
        "/api/v1/posts/<post_id>",
        roles=ANYONE,
        summary="One post",
        tag="posts",
        response=schemas.Post,
    )
    def get_post(self, request, post_id):
        return self.call("crm", "get_post", post_id)

    @route(
        "PATCH",
        "/api/v1/posts/<post_id>",
        roles=LEADER,
        summary="Change or (un)publish a post",
        tag="posts",
        body=schemas.PostBody,
        response=schemas.Post,
    )
    def update_post(self, request, post_id):
        payload = dates_as_text(json_body(request, schemas.PostBody, partial=True), "event_at")
        return self.call("crm", "update_post", post_id, payload)

    @route(
        "DELETE",
        "/api/v1/posts/<post_id>",
        roles=LEADER,
        status="200",
        summary="Delete a post",
        tag="posts",
        response=Deleted,
    )
    def delete_post(self, request, post_id):
        return self.call("crm", "delete_post", post_id)
