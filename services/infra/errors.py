"""Domain errors shared by every service and the gateway.

They cross RPC as themselves (``deserialize_to_instance``), so the gateway maps each to an
HTTP status in one place. ``detail`` is for humans; ``extra`` carries structured facts
(field errors, the product that was short) and must be JSON-safe.
"""

import json

from nameko.exceptions import deserialize, deserialize_to_instance, serialize


class DomainError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail="", extra=None):
        # ``extra`` travels as JSON text: nameko would turn its numbers into strings.
        if not isinstance(extra, str):
            extra = json.dumps(extra or {}, ensure_ascii=False)
        super().__init__(detail, extra)

    @property
    def detail(self):
        return self.args[0]

    @property
    def extra(self):
        return json.loads(self.args[1])


@deserialize_to_instance
class Invalid(DomainError):
    """Input that is well-formed but breaks a rule; ``extra={"errors": {field: [msg]}}``."""

    status = 422
    title = "Validation failed"


@deserialize_to_instance
class Unauthorized(DomainError):
    status = 401
    title = "Unauthorized"


@deserialize_to_instance
class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


@deserialize_to_instance
class NotFound(DomainError):
    status = 404
    title = "Not found"


@deserialize_to_instance
class Conflict(DomainError):
    status = 409
    title = "Conflict"


@deserialize_to_instance
class RateLimited(DomainError):
    status = 429
    title = "Too many requests"


@deserialize_to_instance
class ServiceUnavailable(DomainError):
    status = 503
    title = "Service unavailable"


def invalid(errors, detail="The request has invalid fields."):
    """An ``Invalid`` from marshmallow-style ``{field: [messages]}``."""
    return Invalid(detail, {"errors": errors})


# A batch call (several orders in one RPC) answers each item on its own: a value, or the domain
# error that item met, in nameko's own serialized form so that it is raised again as itself.
def outcome_of(call, *args):
    """``{"value": call(*args)}``, or ``{"error": ...}`` when it raised a ``DomainError``."""
    try:
        return {"value": call(*args)}
    except DomainError as exc:
        return error_outcome(exc)


def error_outcome(exc):
    return {"error": serialize(exc)}


def value_of(outcome):
    """The value of an ``outcome_of``; its error raised again (an unknown one as 503)."""
    if "error" not in outcome:
        return outcome["value"]
    exc = deserialize(outcome["error"])
    raise (
        exc
        if isinstance(exc, DomainError)
        else ServiceUnavailable("The request could not be completed.")
    )
