"""Schemathesis against the running gateway, driven from the OpenAPI document it serves.

Every operation gets ``examples`` generated requests (valid ones, and invalid ones that must be
refused with a 4xx): half of those on a path with parameters name real objects of the fuzzing
community, so the handlers behind the 404s are reached too. Each request is checked for a 5xx
and for a response the spec does not allow (status, content type, body schema). Used by the
smoke in ``make test`` (tests/e2e/test_fuzz_smoke.py) and the long run in ``make fuzz``.
"""

import random
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Not HTTP: the live room's upgrade is covered by tests/e2e/test_live.py; /health answers 503
# by design when a service is slow to answer, which a loaded fuzz run makes likely.
SKIPPED = {"GET /api/v1/live-sessions/{session_id}/ws", "GET /health"}
# Disagreements found and reported to the area's owner, not yet fixed: a failure whose message
# holds one of these fragments is counted and printed, not failed.
KNOWN = {}


def _phone(prefix):
    return prefix + "".join(random.choice("0123456789") for _ in range(9))


def _post(url, path, token=None, **kwargs):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    for _ in range(10):  # a service still starting is a 503 worth waiting out, as clients do
        response = requests.post(f"{url}/api/v1{path}", headers=headers, timeout=15, **kwargs)
        if response.status_code != 503:
            break
        time.sleep(1)
    assert response.status_code in (200, 201), (path, response.text)
    return response.json()


def fuzzing_world(url):
    """A community with a leader, a member and one object of each kind the paths name."""
    slug = f"fuzz-{uuid.uuid4().hex[:8]}"
    phone = _phone("13")
    try:
        leader = _post(
            url,
            "/leaders/signup",
            json={
                "community_name": "模糊测试团",
                "slug": slug,
                "phone": phone,
                "password": "leader-secret-1",
                "display_name": "团长",
            },
        )
    except AssertionError:  # a signup answered 503 that had landed, then 409 on the retry: log in
        leader = _post(
            url,
            "/auth/login",
            json={"phone": phone, "password": "leader-secret-1", "community": slug},
        )
    member = _post(
        url,
        f"/communities/{slug}/join",
        json={
            "phone": _phone("15"),
            "password": "member-secret-1",
            "name": "居民",
            "building": "1",
            "unit": "1",
        },
    )
    lt, mt = leader["token"], member["token"]
    product = _post(
        url, "/products", lt, json={"name": "鸡蛋", "price_cents": 1200, "stock": 100000}
    )
    soon = datetime.now(UTC) + timedelta(days=3)
    wave = _post(
        url,
        "/waves",
        lt,
        json={
            "title": "团期",
            "cutoff_at": soon.isoformat(),
            "pickup_at": (soon + timedelta(days=1)).isoformat(),
            "pickup_point": "门卫室",
            "items": [{"product_id": product["id"], "price_cents": 1000}],
        },
    )
    live = _post(
        url,
        "/live-sessions",
        lt,
        json={
            "title": "直播",
            "host_persona": "团长",
            "scheduled_at": soon.isoformat(),
            "items": [{"product_id": product["id"], "live_price_cents": 900, "quota": 1000}],
        },
    )
    order = _post(
        url, "/orders", mt, json={"items": [{"product_id": product["id"], "quantity": 1}]}
    )
    post = _post(url, "/posts", lt, json={"kind": "knowledge", "title": "帖子", "body": "正文"})
    ids = {
        "slug": slug,
        "product_id": product["id"],
        "wave_id": wave["id"],
        "session_id": live["id"],
        "order_id": order["id"],
        "member_id": member["member"]["id"],
        "post_id": post["id"],
    }
    return {"leader": lt, "member": mt, "ids": ids}


def token_for(operation, world):
    raw = operation.definition.raw if hasattr(operation, "definition") else {}
    description = raw.get("description", "")
    if not description.startswith("Roles: "):
        return None
    roles = description.removeprefix("Roles: ").split(", ")
    return world["leader"] if "leader" in roles else world["member"]


def _prober(strategy, url, session, key, headers, examples, sent, statuses, failures, known):
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(case=strategy)
    def probe(case):
        response = case.call(base_url=url, session=session, headers=headers, timeout=20)
        sent[0] += 1
        statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (Exception, BaseExceptionGroup) as exc:  # every failure is kept, the run goes on
            fragment = next((f for f in KNOWN if f in str(exc)), None)
            if fragment is not None and response.status_code < 500:
                known[fragment] += 1
                return
            failures.append(
                f"{key}: {type(exc).__name__}: {str(exc)[:600]}\n  {case.as_curl_command()}"
            )

    return probe


def hostile_bodies():
    """Bodies no honest client sends, each as (name, bytes, content type): what a parser, a
    validator or a serialiser further down could choke on. Each must be refused with a 4xx."""
    deep = 5000
    return [
        ("arrays nested 5,000 deep", b"[" * deep + b"]" * deep, "application/json"),
        ("objects nested 5,000 deep", b'{"a":' * deep + b"1" + b"}" * deep, "application/json"),
        (
            "an object nested 40 deep in a field",
            b'{"name":' + b'{"a":' * 40 + b"1" + b"}" * 41,
            "application/json",
        ),
        ("unclosed nesting", b"[" * deep, "application/json"),
        ("not UTF-8", b'{"name": "\xff\xfe"}', "application/json"),
        (
            "NaN and Infinity",
            b'{"price_cents": NaN, "stock": Infinity, "quantity": -Infinity}',
            "application/json",
        ),
        ("a 5,000-digit number", b'{"price_cents": ' + b"9" * 5000 + b"}", "application/json"),
        ("a 1e400 float", b'{"price_cents": 1e400, "amount_cents": 1e400}', "application/json"),
        ("duplicate keys", b'{"name": "a", "name": {"x": []}}', "application/json"),
        ("a lone surrogate", b'{"name": "\\ud800", "text": "\\udfff"}', "application/json"),
        ("a NUL byte", b'{"name": "a\\u0000b"}', "application/json"),
        ("a top-level array", b"[1, 2, 3]", "application/json"),
        ("a top-level string", b'"hello"', "application/json"),
        ("null", b"null", "application/json"),
        ("form data", b"name=a&price_cents=1", "application/x-www-form-urlencoded"),
        (
            "a body over the size limit",
            b'{"name": "' + b"a" * (70 * 1024) + b'"}',
            "application/json",
        ),
        ("binary noise", bytes(range(256)) * 8, "application/octet-stream"),
    ]


def send_hostile_bodies(url, world, log=print):
    """Every operation that reads a body gets each of ``hostile_bodies``: returns the answers
    that were not a 4xx problem, as readable strings."""
    spec = requests.get(f"{url}/api/v1/openapi.json", timeout=20).json()
    failures, sent = [], 0
    session = requests.Session()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in ("post", "put", "patch") or "requestBody" not in operation:
                continue
            concrete = path.replace("/api/v1", "", 1)
            for name, value in world["ids"].items():
                concrete = concrete.replace("{" + name + "}", value)
            roles = operation.get("description", "").removeprefix("Roles: ").split(", ")
            token = world["leader"] if "leader" in roles else world["member"]
            for label, body, content_type in hostile_bodies():
                response = session.request(
                    method.upper(),
                    f"{url}/api/v1{concrete}",
                    data=body,
                    timeout=20,
                    headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
                )
                sent += 1
                problem = response.headers.get("Content-Type", "").startswith(
                    "application/problem+json"
                )
                if not (400 <= response.status_code < 500 and problem):
                    failures.append(
                        f"{method.upper()} {path} with {label}: {response.status_code} "
                        f"{response.headers.get('Content-Type')} {response.text[:200]}"
                    )
    log(f"fuzz: {sent} hostile bodies, {len(failures)} answered other than a 4xx problem")
    return sent, failures


def run(url, examples, seed=0, modes=(GenerationMode.POSITIVE, GenerationMode.NEGATIVE), log=print):
    """Fuzz every operation; returns (requests sent, statuses, failures as readable strings)."""
    world = fuzzing_world(url)
    schema = schemathesis.openapi.from_url(f"{url}/api/v1/openapi.json")
    sent, statuses, failures, known = [0], Counter(), [], Counter()
    session = requests.Session()
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        key = f"{operation.method.upper()} {operation.path}"
        if key in SKIPPED:
            continue
        token = token_for(operation, world)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        names = [p.name for p in operation.path_parameters]
        real = {name: world["ids"][name] for name in names if name in world["ids"]}
        strategies = [operation.as_strategy(generation_mode=mode) for mode in modes]
        if real:
            strategies.append(operation.as_strategy(path_parameters=real))
        strategy = st.one_of(*strategies)

        _prober(strategy, url, session, key, headers, examples, sent, statuses, failures, known)()
    elapsed = time.monotonic() - started
    log(
        f"fuzz: {sent[0]} requests over {len(list(schema.get_all_operations()))} operations "
        f"in {elapsed:.0f} s, "
        f"statuses {dict(sorted(statuses.items()))}, {len(failures)} failures"
    )
    for fragment, count in known.items():
        log(f"fuzz: known, reported ({count} answers): {KNOWN[fragment]}")
    return sent[0], statuses, failures
