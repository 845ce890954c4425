"""The OpenAPI 3 document, generated from the routes and their marshmallow schemas."""

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from gateway.http import ROUTES
from gateway.schemas.common import Problem

SUCCESS = {"POST": "201", "GET": "200", "PATCH": "200", "PUT": "200", "DELETE": "204"}


def _path(rule):
    """werkzeug's ``/orders/<order_id>`` -> OpenAPI's ``/orders/{order_id}``."""
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def build_spec():
    spec = APISpec(
        title="Linli (邻里) API",
        version="1.0.0",
        openapi_version="3.0.3",
        info={"description": "The HTTP contract of Linli's gateway. Money is integer fen (`*_cents`)."},
        plugins=[MarshmallowPlugin()],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    spec.components.schema("Problem", schema=Problem)
    problem = {"description": "Problem", "content": {"application/problem+json": {"schema": "Problem"}}}
    paths = {}
    for method, rule, options in ROUTES:
        for verb in method.split(","):
            operation = {
                "summary": options.get("summary", ""),
                "tags": [options.get("tag", "linli")],
                "responses": {"default": problem},
            }
            parameters = [
                {"in": "path", "name": name, "required": True, "schema": {"type": "string", "maxLength": 64}}
                for name in re.findall(r"<(?:[a-z]+:)?([a-z_]+)>", rule)
            ]
            if options.get("query"):
                parameters.append({"in": "query", "schema": options["query"]})
            if parameters:
                operation["parameters"] = parameters
            if options.get("body"):
                operation["requestBody"] = {
                    "required": True, "content": {"application/json": {"schema": options["body"]}}
                }
            status = options.get("status", SUCCESS[verb])
            response = {"description": "OK"}
            if options.get("response"):
                response["content"] = {"application/json": {"schema": options["response"]}}
            operation["responses"][status] = response
            if options["roles"]:
                operation["security"] = [{"bearer": []}]
                operation["description"] = "Roles: " + ", ".join(options["roles"])
            paths.setdefault(_path(rule), {})[verb.lower()] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
