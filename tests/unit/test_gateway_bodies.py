"""What the gateway reads from a body: JSON objects only, refused with 400 before a parser,
validator or serialiser further down can be made to recurse or to see a number JSON has not."""

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.http import MAX_JSON_DEPTH, json_body, parse_json, query_args
from gateway.schemas.products import ProductBody
from services.infra.errors import DomainError, Invalid
from services.infra.schemas import PageSchema


def nested(depth):
    return "[" * depth + "]" * depth


def body(raw):
    return Request(
        EnvironBuilder(method="POST", data=raw, content_type="application/json").get_environ()
    )


def test_nesting_up_to_the_limit_is_read_and_one_more_level_is_not():
    assert parse_json(nested(MAX_JSON_DEPTH)) is not None
    with pytest.raises(ValueError):
        parse_json(nested(MAX_JSON_DEPTH + 1))


def test_an_escaped_backslash_before_u0000_is_text_not_nul():
    assert parse_json('{"name": "\\\\u0000"}') == {"name": "\\u0000"}


def test_brackets_inside_strings_are_text_not_nesting():
    text = '{"name": "' + "[{" * 500 + '\\"]}"}'
    assert parse_json(text)["name"].startswith("[{[{")


@pytest.mark.parametrize(
    "raw",
    [
        nested(100_000),
        '{"a":' * 100_000,
        "[" * 100_000,  # deeper than Python's own recursion limit
        '{"price_cents": NaN}',
        '{"price_cents": Infinity}',
        '{"price_cents": -Infinity}',
        '{"price_cents": ' + "9" * 5000 + "}",
        '{"name": "a\\u0000b"}',
        '{"tags": [{"x": ["\\u0000"]}]}',
    ],
)
def test_a_hostile_body_is_a_400_problem(raw):
    with pytest.raises(DomainError) as refused:
        json_body(body(raw.encode()), ProductBody)
    assert refused.value.status == 400 and not isinstance(refused.value, Invalid)


def test_a_value_nested_where_a_text_belongs_is_a_422_for_that_field():
    with pytest.raises(Invalid) as refused:
        json_body(body(b'{"name": ' + b'{"a": ' * 20 + b"1" + b"}" * 21), ProductBody)
    assert "name" in refused.value.extra["errors"]


def test_a_query_with_a_nul_character_is_a_400():
    request = Request(
        EnvironBuilder(method="GET", query_string="limit=5&cursor=a%00b").get_environ()
    )
    with pytest.raises(DomainError) as refused:
        query_args(request, PageSchema)
    assert refused.value.status == 400
