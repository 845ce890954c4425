"""Shared validation helpers: cursors and strict integers."""

import base64
import json
from datetime import UTC, datetime

import pytest
from marshmallow import Schema, ValidationError

from services.infra.errors import Invalid
from services.infra.schemas import Int, StrictSchema, decode_cursor, encode_cursor, load, page


def test_cursor_round_trip():
    created_at = datetime(2026, 11, 24, 10, 0, 0, 123456, tzinfo=UTC)
    cursor = encode_cursor([created_at.isoformat(), "abc123"])
    assert decode_cursor(cursor) == (created_at, "abc123")
    assert decode_cursor(None) is None


def test_page_builds_the_next_cursor():
    items = [{"id": f"id{n}", "created_at": f"2026-11-24T10:00:0{n}+00:00"} for n in (3, 2, 1)]
    result = page(items, 2)
    assert result["items"] == items[:2]
    assert decode_cursor(result["next_cursor"]) == (
        datetime(2026, 11, 24, 10, 0, 2, tzinfo=UTC),
        "id2",
    )
    assert page(items, 3) == {"items": items, "next_cursor": None}


def b64(raw):
    return base64.urlsafe_b64encode(raw).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "!!!not base64!!!",
        b64(b"not json"),
        b64(json.dumps(["not a date", "id"]).encode()),
        b64(json.dumps(["2026-11-24T10:00:00+00:00"]).encode()),
        b64(json.dumps({"created_at": 1}).encode()),
        b64(json.dumps(5).encode()),
        b64(b"\xff\xfe"),
    ],
)
def test_tampered_cursor_is_invalid(cursor):
    with pytest.raises(Invalid) as raised:
        decode_cursor(cursor)
    assert raised.value.status == 422 and "cursor" in raised.value.extra["errors"]


class Quantity(Schema):
    quantity = Int(1, 999, required=True)


@pytest.mark.parametrize("value", [True, False, "3", 3.0, 2.5, None, 0, 1000])
def test_int_rejects_non_integers_and_out_of_range(value):
    with pytest.raises(ValidationError) as raised:
        Quantity().load({"quantity": value})
    assert "quantity" in raised.value.messages


@pytest.mark.parametrize("value", [1, 999])
def test_int_accepts_integers_in_range(value):
    assert Quantity().load({"quantity": value}) == {"quantity": value}


def test_load_turns_errors_into_invalid():
    class Strict(StrictSchema):
        quantity = Int(1, 9, required=True)

    assert load(Strict(), {"quantity": 2}) == {"quantity": 2}
    with pytest.raises(Invalid) as raised:
        load(Strict(), {"quantity": 2, "extra": 1})
    assert raised.value.extra == {"errors": {"extra": ["Unknown field."]}}
    with pytest.raises(Invalid) as raised:
        load(Strict(), ["not", "an", "object"])
    assert "_schema" in raised.value.extra["errors"]
