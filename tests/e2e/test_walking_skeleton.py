"""A client that knows only docs/api.md, against the stack `make run` starts."""

import signal
import time
import uuid
from datetime import datetime

import pytest
import requests

pytestmark = pytest.mark.e2e


def api(stack, method, path, token=None, **kwargs):
    headers = kwargs.pop("headers", {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.request(
        method, f"{stack.url}/api/v1{path}", headers=headers, timeout=10, **kwargs
    )


def eventually(check, timeout=15):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.3)


def test_an_order_travels_through_every_service_and_survives_a_restart(any_stack):
    """Once with one process of each service, once with two (LINLI_SERVICE_PROCESSES=2)."""
    stack = any_stack
    slug = f"xiaoya-{uuid.uuid4().hex[:6]}"
    signup = api(
        stack,
        "POST",
        "/leaders/signup",
        json={
            "community_name": "小雅的厨房",
            "slug": slug,
            "phone": "13800000001",
            "password": "leader-secret-1",
            "display_name": "小雅",
        },
    )
    assert signup.status_code == 201, signup.text
    leader = signup.json()["token"]
    assert signup.json()["community"]["slug"] == slug

    product = api(
        stack,
        "POST",
        "/products",
        leader,
        json={
            "name": "有机鲜牛奶 950ml",
            "price_cents": 1290,
            "stock": 5,
            "category": "dairy",
            "story": "北纬40度的牧场,清晨挤奶当天装瓶。",
            "honest_notes": "保质期只有7天,一周喝不完别多买。",
        },
    )
    assert product.status_code == 201, product.text
    product_id = product.json()["id"]

    card = api(stack, "GET", f"/communities/{slug}")
    assert card.status_code == 200 and card.json()["name"] == "小雅的厨房"

    join = api(
        stack,
        "POST",
        f"/communities/{slug}/join",
        json={
            "phone": "13900000002",
            "password": "member-secret-1",
            "name": "李阿姨",
            "building": "3栋",
            "unit": "502",
        },
    )
    assert join.status_code == 201, join.text
    assert join.json()["member"]["status"] == "active"
    member = join.json()["token"]

    body = {"items": [{"product_id": product_id, "quantity": 2}]}
    placed = api(
        stack, "POST", "/orders", member, json=body, headers={"Idempotency-Key": "order-1"}
    )
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["status"] == "pending_payment"
    assert order["lines"] == [
        {
            "product_id": product_id,
            "name": "有机鲜牛奶 950ml",
            "unit": "件",
            "unit_price_cents": 1290,
            "quantity": 2,
        }
    ]
    assert order["subtotal_cents"] == order["total_cents"] == 2580

    retried = api(
        stack, "POST", "/orders", member, json=body, headers={"Idempotency-Key": "order-1"}
    )
    assert retried.status_code == 201 and retried.json()["id"] == order["id"]
    reused = api(
        stack,
        "POST",
        "/orders",
        member,
        json={"items": [{"product_id": product_id, "quantity": 1}]},
        headers={"Idempotency-Key": "order-1"},
    )
    assert reused.status_code == 409
    assert reused.headers["Content-Type"].startswith("application/problem+json")

    short = api(
        stack,
        "POST",
        "/orders",
        member,
        json={"items": [{"product_id": product_id, "quantity": 4}]},
    )
    assert short.status_code == 409 and short.json()["product_id"] == product_id
    assert short.json()["available"] == 3

    fetched = api(stack, "GET", f"/orders/{order['id']}", member)
    assert fetched.status_code == 200
    assert [step["status"] for step in fetched.json()["timeline"]] == ["pending_payment"]
    assert api(stack, "GET", f"/products/{product_id}", leader).json()["stock"] == 3

    # Paid in person: the leader marks it paid.
    paid = api(stack, "POST", f"/orders/{order['id']}/mark-paid", leader)
    assert paid.status_code == 200 and paid.json()["status"] == "paid", paid.text

    # order_paid reached crm through the outbox; member_joined reached referral.
    def crm_saw_the_order():
        stats = api(stack, "GET", "/me", member).json()["member"]["order_stats"]
        return stats if stats["paid_orders"] == 1 else None

    stats = eventually(crm_saw_the_order)
    assert stats and stats["spent_cents"] == 2580, stats
    assert datetime.fromisoformat(stats["last_order_at"]) == datetime.fromisoformat(
        order["created_at"]
    )
    referral = eventually(lambda: api(stack, "GET", "/me/referral", member))
    assert referral.status_code == 200, referral.text
    assert referral.json()["invite_url"].endswith(
        f"/c/{slug}/join?invite={referral.json()['invite_code']}"
    )

    # Another community sees nothing of this one.
    other = api(
        stack,
        "POST",
        "/leaders/signup",
        json={
            "community_name": "老王的菜园",
            "slug": f"laowang-{uuid.uuid4().hex[:6]}",
            "phone": "13700000003",
            "password": "other-secret-1",
            "display_name": "老王",
        },
    ).json()["token"]
    assert api(stack, "GET", f"/orders/{order['id']}", other).status_code == 404
    assert api(stack, "GET", f"/products/{product_id}", other).status_code == 404

    # Ctrl-C stops every process; a restart keeps the data.
    assert stack.stop(signal.SIGINT) == 0
    assert stack.children() == []
    stack.start()
    # The e2e stack is shared by every file: this phone may live in other test communities too.
    login = api(
        stack,
        "POST",
        "/auth/login",
        json={"phone": "13900000002", "password": "member-secret-1", "community": slug},
    )
    assert login.status_code == 200, login.text
    again = api(stack, "GET", f"/orders/{order['id']}", login.json()["token"])
    assert again.status_code == 200 and again.json()["total_cents"] == 2580
    assert again.json()["status"] == "paid"


def test_bad_input_gets_problem_json_and_changes_nothing(stack):
    assert api(stack, "GET", "/openapi.json").json()["openapi"].startswith("3.")
    cases = [
        ("POST", "/leaders/signup", {"data": "{not json"}, 400),
        ("POST", "/leaders/signup", {"json": ["a", "list"]}, 400),
        (
            "POST",
            "/leaders/signup",
            {
                "json": {
                    "community_name": "x" * 500,
                    "slug": "ok-slug",
                    "phone": "13800000009",
                    "password": "long-enough",
                    "display_name": "x",
                    "role": "admin",
                }
            },
            422,
        ),
        (
            "POST",
            "/auth/login",
            {"json": {"phone": "13800000009", "password": "wrong-password"}},
            401,
        ),
        ("GET", "/me", {}, 401),
        ("GET", "/no/such/path", {}, 404),
    ]
    for method, path, kwargs, status in cases:
        response = api(stack, method, path, **kwargs)
        assert response.status_code == status, (path, response.text)
        assert response.headers["Content-Type"].startswith("application/problem+json")
        assert response.json()["status"] == status
    # The oversized signup created nothing: the slug is still free.
    free = api(stack, "GET", "/communities/ok-slug")
    assert free.status_code == 404
