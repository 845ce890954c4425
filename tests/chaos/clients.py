"""Clients as the real ones behave: keep-alive sessions, and a retry on 5xx or a timeout with
the same Idempotency-Key until a definite answer (2xx or 4xx) or the scenario's deadline."""

import random
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import requests

PASSWORD = "chaos-password-1"


class Client:
    _local = threading.local()

    def __init__(self, base_url, timeout=10):
        self.base_url = base_url
        self.timeout = timeout
        self.lock = threading.Lock()
        self.statuses = Counter()  # every answer, retries included

    def session(self):
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session

    def call(self, method, path, token=None, headers=None, **kwargs):
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            response = self.session().request(
                method,
                f"{self.base_url}/api/v1{path}",
                headers=headers,
                timeout=self.timeout,
                **kwargs,
            )
            status = response.status_code
        except requests.RequestException:
            response, status = None, "error"
        with self.lock:
            self.statuses[status] += 1
        return status, response

    def until_definite(self, method, path, token=None, deadline=None, **kwargs):
        """Retry 5xx and transport errors (same request, same key); (status, response, tries)."""
        deadline = deadline or time.monotonic() + 120
        tries, pause = 0, 0.2
        while True:
            tries += 1
            status, response = self.call(method, path, token, **kwargs)
            if status != "error" and status < 500:
                return status, response, tries
            if time.monotonic() > deadline:
                return status, response, tries
            time.sleep(pause * (0.5 + random.random()))
            pause = min(pause * 2, 2.0)


def expect(status_response, status=(200, 201)):
    got, response = status_response[0], status_response[1]
    assert got in ((status,) if isinstance(status, int) else status), (
        got,
        response is not None and response.text,
    )
    return response.json()


def phone():
    return "1" + random.choice("3456789") + "".join(random.choice("0123456789") for _ in range(9))


def community(client, members, workers=4):
    """A leader's community and ``members`` members (joining is deliberately slow: argon2)."""
    slug = f"chaos-{uuid.uuid4().hex[:8]}"
    leader = expect(
        client.call(
            "POST",
            "/leaders/signup",
            json={
                "community_name": "混沌测试团",
                "slug": slug,
                "phone": phone(),
                "password": PASSWORD,
                "display_name": "团长",
            },
        )
    )

    def join(index):
        number = phone()
        status, response, _ = client.until_definite(
            "POST",
            f"/communities/{slug}/join",
            json={
                "phone": number,
                "password": PASSWORD,
                "name": f"居民{index}",
                "building": str(index % 9 + 1),
                "unit": str(index),
            },
        )
        if status == 409:  # a retry after a lost answer: the first try had joined
            login = client.until_definite(
                "POST",
                "/auth/login",
                json={"phone": number, "password": PASSWORD, "community": slug},
            )
            token = expect(login[:2])["token"]
            return {
                "token": token,
                "member_id": expect(client.call("GET", "/me", token))["member"]["id"],
            }
        assert status == 201, (status, response is not None and response.text)
        body = response.json()
        return {"token": body["token"], "member_id": body["member"]["id"]}

    started = time.monotonic()
    with ThreadPoolExecutor(workers) as pool:
        joined = list(pool.map(join, range(members)))
    print(
        f"[setup] community {slug}: {members} members joined in {time.monotonic() - started:.1f} s"
    )
    return {
        "slug": slug,
        "leader": leader["token"],
        "tenant_id": leader["community"]["id"],
        "members": joined,
    }
