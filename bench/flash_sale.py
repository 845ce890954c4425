"""Flash-sale race: drives a running Linli (``make run``) through the gateway only.

    .venv/bin/python bench/flash_sale.py [--base-url http://127.0.0.1:8000] [--buyers 1000]

1,000 members race for one live item with quota 100 and limit 1: how many sold (must be exactly
100), answers by status, time until every buyer had a definite answer, and the median latency of
a sold-out answer against an accepted one. It prints figures, never asserts (targets: no
oversell, no 5xx, sold-out answers cheaper than accepted orders). Every run creates its own
community. Throughput (orders/s against reads/s) is bench/wrk_orders.py's, measured with wrk: a
Python client on the same cores as the stack takes the CPU it measures.
"""

import argparse
import statistics
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import requests

PASSWORD = "bench-password-1"


class Client:
    """One simulated user: a keep-alive HTTP session (one per thread)."""

    _local = threading.local()

    def __init__(self, base_url):
        self.base_url = base_url

    def session(self):
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session

    def call(self, method, path, token=None, **kwargs):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        started = time.perf_counter()
        try:
            response = self.session().request(
                method, self.base_url + path, headers=headers, timeout=30, **kwargs
            )
            status = response.status_code
        except requests.RequestException:
            response, status = None, "error"
        return status, time.perf_counter() - started, response


def expect(result, status):
    code, _, response = result
    if code != status:
        raise SystemExit(
            f"setup failed: expected {status}, got {code}: "
            f"{response.text if response is not None else ''}"
        )
    return response.json()


_phones = iter(range(10**7))
_run = uuid.uuid4().int % 900 + 100


def join(client, slug, index):
    """A member joins; a 503 (password hashing is deliberately slow) is retried, as a client
    would (and a 409 then means an earlier try had joined: the member logs in)."""
    body = {
        "phone": f"17{_run:03d}{next(_phones):06d}",
        "password": PASSWORD,
        "name": f"邻居{index}",
        "building": str(index % 20 + 1),
        "unit": str(index % 600 + 101),
    }
    for attempt in range(5):
        result = client.call("POST", f"/api/v1/communities/{slug}/join", json=body)
        if result[0] != 503:
            break
        time.sleep(1 + attempt)
    if result[0] == 409 and attempt:  # a try that answered 503 had joined after all
        return expect(
            client.call(
                "POST",
                "/api/v1/auth/login",
                json={"phone": body["phone"], "password": PASSWORD, "community": slug},
            ),
            200,
        )["token"]
    return expect(result, 201)["token"]


def setup_community(client):
    slug = f"bench-{uuid.uuid4().hex[:8]}"
    body = expect(
        client.call(
            "POST",
            "/api/v1/leaders/signup",
            json={
                "community_name": f"压测社区 {slug}",
                "slug": slug,
                "phone": f"18{_run:03d}{next(_phones):06d}",
                "password": PASSWORD,
                "display_name": "团长",
            },
        ),
        201,
    )
    return slug, body["token"]


def create_product(client, leader, stock):
    return expect(
        client.call(
            "POST",
            "/api/v1/products",
            leader,
            json={
                "name": "鲜牛奶 950ml",
                "category": "dairy",
                "unit": "瓶",
                "price_cents": 1590,
                "stock": stock,
            },
        ),
        201,
    )["id"]


def members(client, slug, count, workers=4):
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda i: join(client, slug, i), range(count)))


def flash_sale(client, leader, slug, buyers=1000, quota=100):
    print(f"flash sale: {buyers} members race for a live item with quota {quota}, limit 1")
    product = create_product(client, leader, stock=10_000)
    tokens = members(client, slug, buyers)
    live = expect(
        client.call(
            "POST",
            "/api/v1/live-sessions",
            leader,
            json={
                "title": "周三鲜奶秒杀",
                "host_persona": "团长",
                "items": [
                    {
                        "product_id": product,
                        "live_price_cents": 990,
                        "quota": quota,
                        "per_member_limit": 1,
                    }
                ],
                "scheduled_at": (datetime.now(UTC) + timedelta(minutes=1)).isoformat(),
            },
        ),
        201,
    )
    expect(client.call("POST", f"/api/v1/live-sessions/{live['id']}/start", leader), 200)
    order = {
        "items": [{"product_id": product, "quantity": 1}],
        "channel": {"type": "live", "id": live["id"]},
    }
    gate = threading.Barrier(min(buyers, 200))

    def buy(token):
        return client.call("POST", "/api/v1/orders", token, json=order)

    def buyer_group(group):
        gate.wait()
        return [buy(token) for token in group]

    groups = [tokens[i::200] for i in range(min(buyers, 200))]
    started = time.perf_counter()
    with ThreadPoolExecutor(len(groups)) as pool:
        answers = [answer for group in pool.map(buyer_group, groups) for answer in group]
    settled = time.perf_counter() - started
    statuses = Counter(status for status, _, _ in answers)
    accepted = [latency for status, latency, _ in answers if status == 201]
    refused = [latency for status, latency, _ in answers if status == 409]
    session = expect(client.call("GET", f"/api/v1/live-sessions/{live['id']}", leader), 200)
    sold = next(item["sold"] for item in session["items"] if item["product_id"] == product)
    stock = expect(client.call("GET", f"/api/v1/products/{product}", leader), 200)["stock"]
    print(
        f"  sold {statuses[201]} by answers, {sold} by the session, stock taken {10_000 - stock} "
        f"(quota {quota}: oversold {max(sold - quota, 0)})"
    )
    print(
        f"  answers by status: {dict(statuses)}; "
        f"5xx: {sum(n for s, n in statuses.items() if str(s)[0] == '5')}"
    )
    print(f"  every buyer had a definite answer after {settled:.2f} s")
    print(
        "  median accepted "
        f"{statistics.median(accepted) * 1000 if accepted else float('nan'):.0f} ms, "
        f"median sold-out {statistics.median(refused) * 1000 if refused else float('nan'):.0f} ms"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--buyers", type=int, default=1000)
    args = parser.parse_args()
    client = Client(args.base_url)
    expect(client.call("GET", "/health"), 200)
    slug, leader = setup_community(client)
    flash_sale(client, leader, slug, buyers=args.buyers)


if __name__ == "__main__":
    main()
