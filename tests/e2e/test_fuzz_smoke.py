"""A short schemathesis run in `make test` (the long one is `make fuzz`): no 5xx, nothing the
OpenAPI document does not allow."""

import os

import pytest
from fuzzing import fuzzing_world, run, send_hostile_bodies

pytestmark = pytest.mark.e2e


def test_fuzzing_the_api_finds_no_5xx_and_no_answer_off_the_spec(stack):
    examples = int(os.environ.get("LINLI_FUZZ_EXAMPLES", "6"))
    sent, statuses, failures = run(stack.url, examples)
    assert sent >= 400, statuses
    assert not failures, "\n".join(failures[:20])


def test_hostile_bodies_are_refused_with_a_problem_on_every_route_that_reads_one(stack):
    sent, failures = send_hostile_bodies(stack.url, fuzzing_world(stack.url))
    assert sent >= 500
    assert not failures, "\n".join(failures[:20])
