"""The OpenAPI 3 document, generated from the routes and their marshmallow schemas.

The gateway serves it at /api/v1/openapi.json, naming its configured ``PUBLIC_URL`` as the
server. ``python -m gateway.openapi [FILE]`` writes it without a running stack (``make lint``
checks it with Redocly's recommended rules, see redocly.yaml).
"""

import json
import re
import sys
from pathlib import Path

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from gateway.http import ROUTES
from gateway.routes.roles import ANYONE
from gateway.schemas.common import Problem

SUCCESS = {"POST": "201", "GET": "200", "PATCH": "200", "PUT": "200", "DELETE": "204"}
PATH_PARAMETER = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")

# The 4xx answers, each a shared response (components/responses) around the Problem schema.
PROBLEMS = {
    400: ("BadRequest", "The body is not a JSON object, or it is too large."),
    401: (
        "Unauthorized",
        "No valid token (none, expired, or a staff account whose access was removed); "
        "on a public operation, a credential that does not match.",
    ),
    403: ("Forbidden", "The token's role may not do this."),
    404: ("NotFound", "Nothing with that id in the caller's community."),
    409: (
        "Conflict",
        "The state of what it would change does not allow it now (`reason`, `status_now`), "
        "or an Idempotency-Key already used with another body.",
    ),
    422: ("ValidationFailed", "Invalid input: `errors` says which fields, and why."),
    429: (
        "TooManyRequests",
        "Too many attempts: try again after `retry_after_seconds` (also the Retry-After header).",
    ),
}


def _path(rule):
    """werkzeug's ``/orders/<order_id>`` -> OpenAPI's ``/orders/{order_id}``."""
    return PATH_PARAMETER.sub(r"{\1}", rule)


def problems_of(verb, rule, options):
    """The 4xx statuses an operation answers: those its shape implies (a token and its role, an id
    in the path, a body, query or header to validate, a change an authenticated caller makes to
    state that may not allow it) and those its route names (``problems``: a public operation's
    own)."""
    codes = set(options.get("problems", ()))
    if options["roles"]:
        codes.add(401)
        if set(ANYONE) - set(options["roles"]):
            codes.add(403)
        if verb != "GET":
            codes.add(409)
    if PATH_PARAMETER.search(rule):
        codes.add(404)
    if options.get("body"):
        codes |= {400, 422}
    if options.get("query") or options.get("headers"):
        codes.add(422)
    return sorted(codes)


def build_spec(public_url="/"):
    """The document; ``public_url`` is where clients reach this gateway (relative "/": the origin
    that served the document)."""
    spec = APISpec(
        title="Linli (邻里) API",
        version="1.0.0",
        openapi_version="3.0.3",
        info={
            "description": "The HTTP contract of Linli's gateway. Money is integer fen (`*_cents`)."
        },
        servers=[{"url": public_url.rstrip("/") or "/", "description": "This Linli installation"}],
        plugins=[MarshmallowPlugin()],
    )
    spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    spec.components.schema("Problem", schema=Problem)
    problem_content = {"application/problem+json": {"schema": "Problem"}}
    spec.components.response(
        "Problem",
        {
            "description": (
                "Any other problem: 503 when a service is unavailable, 500 for a fault of ours."
            ),
            "content": problem_content,
        },
    )
    for status, (name, description) in PROBLEMS.items():
        response = {"description": description, "content": problem_content}
        if status == 429:
            response["headers"] = {
                "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}
            }
        spec.components.response(name, response)
    paths = {}
    for method, rule, options in ROUTES:
        verbs = method.split(",")
        for verb in verbs:
            operation_id = (
                options["operation_id"]
                if len(verbs) == 1
                else f"{options['operation_id']}_{verb.lower()}"
            )
            operation = {
                "operationId": operation_id,
                "summary": options.get("summary", ""),
                "tags": [options.get("tag", "linli")],
                "security": [{"bearer": []}] if options["roles"] else [],
            }
            parameters = [
                {
                    "in": "path",
                    "name": name,
                    "required": True,
                    "schema": {"type": "string", "maxLength": 64},
                }
                for name in PATH_PARAMETER.findall(rule)
            ]
            if options.get("query"):
                parameters.append({"in": "query", "schema": options["query"]})
            parameters += options.get("headers", ())
            if parameters:
                operation["parameters"] = parameters
            if options.get("body"):
                operation["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": options["body"]}},
                }
            success = {"description": "OK"}
            if options.get("response"):
                success["content"] = {"application/json": {"schema": options["response"]}}
            operation["responses"] = {
                options.get("status", SUCCESS[verb]): success,
                **{str(status): PROBLEMS[status][0] for status in problems_of(verb, rule, options)},
                "default": "Problem",
            }
            if options["roles"]:
                operation["description"] = "Roles: " + ", ".join(options["roles"])
            paths.setdefault(_path(rule), {})[verb.lower()] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def configured_public_url():
    """``PUBLIC_URL`` of config/gateway.yaml, as the gateway would read it (the environment's
    ``LINLI_PUBLIC_URL`` or the file's default)."""
    import yaml
    from nameko.cli.main import IMPLICIT_ENV_VAR_MATCHER, env_var_constructor

    class ConfigLoader(
        yaml.SafeLoader
    ):  # nameko's ${VAR:default}, without changing yaml's SafeLoader
        pass

    ConfigLoader.add_constructor("!env_var", env_var_constructor)
    ConfigLoader.add_implicit_resolver("!env_var", IMPLICIT_ENV_VAR_MATCHER, None)
    config = Path(__file__).resolve().parent.parent / "config" / "gateway.yaml"
    return str(yaml.load(config.read_text(encoding="utf-8"), Loader=ConfigLoader)["PUBLIC_URL"])


def main(argv):
    import gateway.service  # noqa: F401  (the routes register on import)

    document = json.dumps(build_spec(configured_public_url()), ensure_ascii=False, indent=2) + "\n"
    if len(argv) > 1:
        Path(argv[1]).parent.mkdir(parents=True, exist_ok=True)
        Path(argv[1]).write_text(document, encoding="utf-8")
    else:
        sys.stdout.write(document)


if __name__ == "__main__":
    main(sys.argv)
