"""The long schemathesis run (``make fuzz``, also part of ``make chaos``): at least 10,000
requests across every operation of the OpenAPI document; zero 5xx, zero answers off the spec.
The short run in ``make test`` is tests/e2e/test_fuzz_smoke.py; both use tests/e2e/fuzzing.py."""

import os

import pytest
from conftest import REPO, _load

pytestmark = pytest.mark.fuzz

fuzzing = _load("linli_fuzzing", REPO / "tests" / "e2e" / "fuzzing.py")


@pytest.mark.timeout(1800)
def test_ten_thousand_requests_find_no_5xx_and_no_answer_off_the_spec(deploy):
    deployment = deploy()
    examples = int(os.environ.get("LINLI_FUZZ_EXAMPLES", "130"))
    sent, statuses, failures = fuzzing.run(deployment.url, examples)
    assert sent >= 10_000, f"only {sent} requests: raise LINLI_FUZZ_EXAMPLES"
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:30])
