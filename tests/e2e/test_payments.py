"""Paying and cancelling, as a member and a leader would, through the sandbox provider."""

import hashlib
import hmac
import json
import time
import uuid

import pytest
from test_walking_skeleton import api, eventually

pytestmark = pytest.mark.e2e


@pytest.fixture
def shop(stack):
    slug = f"pay-{uuid.uuid4().hex[:6]}"
    leader = api(
        stack,
        "POST",
        "/leaders/signup",
        json={
            "community_name": "付款测试团",
            "slug": slug,
            "phone": "13800000011",
            "password": "leader-secret-1",
            "display_name": "团长",
        },
    ).json()["token"]
    product = api(
        stack,
        "POST",
        "/products",
        leader,
        json={"name": "土鸡蛋 30枚", "price_cents": 3600, "stock": 10},
    ).json()
    member = api(
        stack,
        "POST",
        f"/communities/{slug}/join",
        json={
            "phone": "13900000012",
            "password": "member-secret-1",
            "name": "王叔",
            "building": "1栋",
            "unit": "101",
        },
    ).json()["token"]
    return leader, member, product["id"]


def order(stack, member, product_id, quantity=1):
    placed = api(
        stack,
        "POST",
        "/orders",
        member,
        json={"items": [{"product_id": product_id, "quantity": quantity}]},
    )
    assert placed.status_code == 201, placed.text
    return placed.json()["id"]


def status_of(stack, token, order_id):
    return api(stack, "GET", f"/orders/{order_id}", token).json()["status"]


def test_sandbox_payment_reaches_the_order_through_the_signed_webhook(stack, shop):
    leader, member, product_id = shop
    order_id = order(stack, member, product_id, 2)
    started = api(stack, "POST", f"/orders/{order_id}/pay", member, json={"method": "sandbox"})
    assert started.status_code == 200, started.text
    payment = started.json()["payment"]
    assert payment["status"] == "pending" and payment["amount_cents"] == 7200
    again = api(
        stack, "POST", f"/orders/{order_id}/pay", member, json={"method": "sandbox"}
    ).json()["payment"]
    assert again["id"] == payment["id"]  # a retried pay call starts nothing new

    import requests

    page = requests.get(payment["pay_url"], timeout=10)
    assert page.status_code == 200 and "¥72.00" in page.text
    decided = requests.post(payment["pay_url"], json={"outcome": "succeeded"}, timeout=10)
    assert decided.status_code == 200, decided.text
    assert (
        requests.post(payment["pay_url"], json={"outcome": "succeeded"}, timeout=10).status_code
        == 409
    )

    assert eventually(lambda: status_of(stack, member, order_id) == "paid")
    timeline = api(stack, "GET", f"/orders/{order_id}", member).json()["timeline"]
    assert [step["status"] for step in timeline] == ["pending_payment", "paid"]
    # Paying a paid order is refused.
    assert (
        api(
            stack, "POST", f"/orders/{order_id}/pay", member, json={"method": "sandbox"}
        ).status_code
        == 409
    )


def test_forged_and_stale_webhooks_change_nothing(stack, shop):
    leader, member, product_id = shop
    order_id = order(stack, member, product_id)
    payment = api(
        stack, "POST", f"/orders/{order_id}/pay", member, json={"method": "sandbox"}
    ).json()["payment"]
    charge_id = payment["pay_url"].rsplit("/", 1)[1]
    body = json.dumps(
        {
            "notification_id": uuid.uuid4().hex,
            "charge_id": charge_id,
            "status": "succeeded",
            "amount_cents": payment["amount_cents"],
        }
    )
    now = str(int(time.time()))
    forged = hmac.new(b"not-the-secret", f"{now}.{body}".encode(), hashlib.sha256).hexdigest()
    for timestamp, signature in [
        (now, forged),
        (str(int(time.time()) - 3600), forged),
        (None, None),
    ]:
        headers = {"Content-Type": "application/json"}
        if timestamp:
            headers.update(
                {"Linli-Sandbox-Timestamp": timestamp, "Linli-Sandbox-Signature": signature}
            )
        answer = api(stack, "POST", "/payments/sandbox/webhook", data=body, headers=headers)
        assert answer.status_code == 401, answer.text
    assert status_of(stack, member, order_id) == "pending_payment"


def test_offline_payment_and_cancellation(stack, shop):
    leader, member, product_id = shop
    paid_in_person = order(stack, member, product_id)
    assert api(stack, "POST", f"/orders/{paid_in_person}/mark-paid", member).status_code == 403
    marked = api(stack, "POST", f"/orders/{paid_in_person}/mark-paid", leader)
    assert marked.status_code == 200 and marked.json()["status"] == "paid"
    assert api(stack, "POST", f"/orders/{paid_in_person}/mark-paid", leader).status_code == 409

    unpaid = order(stack, member, product_id, 3)
    stock_before = api(stack, "GET", f"/products/{product_id}", leader).json()["stock"]
    cancelled = api(stack, "POST", f"/orders/{unpaid}/cancel", member)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert api(stack, "POST", f"/orders/{unpaid}/cancel", member).status_code == 409
    assert (
        api(stack, "POST", f"/orders/{unpaid}/pay", member, json={"method": "offline"}).status_code
        == 409
    )
    # Stock comes back through order_cancelled -> catalog.
    assert eventually(
        lambda: (
            api(stack, "GET", f"/products/{product_id}", leader).json()["stock"] == stock_before + 3
        )
    )
