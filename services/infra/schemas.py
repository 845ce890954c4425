"""Validation helpers: every input from outside a service goes through a marshmallow schema."""

import base64
import binascii
import json
from datetime import datetime

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate

from services.infra.errors import invalid

MAX_PAGE = 100
DEFAULT_PAGE = 20


class StrictSchema(Schema):
    """Unknown fields are an error: a client's typo or a forbidden field must not pass silently."""

    class Meta:
        unknown = RAISE


def load(schema, data, **kwargs):
    """``schema.load(data)``, turning a marshmallow error into ``Invalid`` (422)."""
    if not isinstance(data, dict):
        raise invalid({"_schema": ["Expected a JSON object."]})
    try:
        return schema.load(data, **kwargs)
    except ValidationError as exc:
        raise invalid(exc.messages) from None


def Text(max_length, required=True, **kwargs):
    """A string field, trimmed length between 1 and ``max_length``."""
    minimum = 1 if required else 0
    return fields.String(
        required=required, validate=validate.Length(min=minimum, max=max_length), **kwargs
    )


class PageSchema(StrictSchema):
    limit = fields.Integer(load_default=DEFAULT_PAGE, validate=validate.Range(min=1, max=MAX_PAGE))
    cursor = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


def encode_cursor(value):
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


def decode_cursor(cursor):
    """``(created_at, id)`` a client's ``cursor`` points at; ``Invalid`` if tampered with."""
    if cursor is None:
        return None
    try:
        created_at, last_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        created_at = datetime.fromisoformat(created_at)
    except (binascii.Error, ValueError, TypeError, UnicodeError):
        created_at = None
    if created_at is None or created_at.tzinfo is None:
        raise invalid({"cursor": ["Not a cursor this API gave out."]})
    return created_at, str(last_id)


def page(items, limit):
    """``{"items", "next_cursor"}`` from ``limit + 1`` dumped rows, newest first."""
    more = len(items) > limit
    items = items[:limit]
    last = items[-1] if more else None
    return {
        "items": items,
        "next_cursor": encode_cursor([last["created_at"], last["id"]]) if more else None,
    }


class Int(fields.Integer):
    """A strict JSON integer (``true`` and ``"3"`` are not numbers) within a range."""

    def __init__(self, minimum=0, maximum=10**12, **kwargs):
        super().__init__(strict=True, validate=validate.Range(min=minimum, max=maximum), **kwargs)

    def _validated(self, value):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._validated(value)


class StrictBoolean(fields.Boolean):
    """JSON ``true``/``false`` only: ``1`` or ``"yes"`` is a client's mistake, not a choice."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class TolerantSchema(Schema):
    """For events from other services: unknown fields are ignored (additive change)."""

    class Meta:
        unknown = EXCLUDE
