"""CRM over HTTP: a community that approves its members, a pending member who cannot order yet,
the leader's approval, the welcome guide in the inbox, orders, and the tags the leader then sees;
posts in the feed and on the community's webhook; login rate limiting."""

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from test_walking_skeleton import api, eventually

pytestmark = pytest.mark.e2e

GUIDE = "新人指南:每周二晚 8 点截单,周四下午到 3 栋楼下自提。有问题群里找王姐。"


@pytest.fixture
def webhook():
    """A WeCom-style group robot on this machine: records what it receives."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            answer = b'{"errcode": 0, "errmsg": "ok"}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield (
        f"http://127.0.0.1:{server.server_address[1]}/cgi-bin/webhook/send?key=robot-secret",
        received,
    )
    server.shutdown()
    server.server_close()


def test_approval_welcome_orders_and_tags(stack, webhook):
    url, received = webhook
    slug = f"shenhe-{uuid.uuid4().hex[:6]}"
    leader = api(
        stack,
        "POST",
        "/leaders/signup",
        json={
            "community_name": "阳光花园团",
            "slug": slug,
            "phone": "13800000061",
            "password": "leader-secret-1",
            "display_name": "王姐",
        },
    ).json()["token"]
    changed = api(
        stack,
        "PUT",
        "/community/settings",
        leader,
        json={
            "admission": {"mode": "approval", "allowed_buildings": ["3栋", "5栋"]},
            "welcome_guide": GUIDE,
        },
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["admission"] == {"mode": "approval", "allowed_buildings": ["3栋", "5栋"]}
    hook = api(
        stack,
        "POST",
        "/community/channels",
        leader,
        json={"type": "webhook", "url": url, "name": "团购群"},
    )
    assert hook.status_code == 201 and "robot-secret" not in hook.text, hook.text

    milk = api(
        stack,
        "POST",
        "/products",
        leader,
        json={
            "name": "有机鲜牛奶 1L",
            "category": "乳品",
            "tags": ["有机"],
            "price_cents": 1500,
            "stock": 50,
        },
    ).json()

    # A resident of another building is turned away; one of 3栋 waits for approval.
    outsider = api(
        stack,
        "POST",
        f"/communities/{slug}/join",
        json={
            "phone": "13900000062",
            "password": "member-secret-1",
            "name": "路人",
            "building": "9栋",
            "unit": "101",
        },
    )
    assert outsider.status_code == 422 and "building" in outsider.json()["errors"], outsider.text
    joined = api(
        stack,
        "POST",
        f"/communities/{slug}/join",
        json={
            "phone": "13900000063",
            "password": "member-secret-1",
            "name": "李姐",
            "building": "3栋",
            "unit": "501",
        },
    )
    assert joined.status_code == 201 and joined.json()["member"]["status"] == "pending", joined.text
    member, member_id = joined.json()["token"], joined.json()["member"]["id"]

    def place():
        return api(
            stack,
            "POST",
            "/orders",
            member,
            json={"items": [{"product_id": milk["id"], "quantity": 1}]},
        )

    refused = place()
    assert refused.status_code == 403 and refused.json()["reason"] == "member_pending", refused.text
    assert api(stack, "GET", "/me/inbox", member).json()["items"] == []
    assert api(stack, "GET", "/posts", member).status_code == 403

    queue = api(stack, "GET", "/members?status=pending", leader).json()["items"]
    assert [m["id"] for m in queue] == [member_id] and queue[0]["phone"] == "13900000063"
    assert api(stack, "POST", f"/members/{member_id}/approve", member).status_code == 403
    approved = api(stack, "POST", f"/members/{member_id}/approve", leader)
    assert approved.status_code == 200 and approved.json()["status"] == "active", approved.text
    assert api(stack, "POST", f"/members/{member_id}/approve", leader).status_code == 409
    assert api(stack, "GET", "/members?status=pending", leader).json()["items"] == []

    [welcome] = api(stack, "GET", "/me/inbox", member).json()["items"]
    assert (
        welcome["kind"] == "welcome"
        and welcome["title"] == "欢迎加入「阳光花园团」"
        and welcome["body"] == GUIDE
    )

    # The member completes the profile (a future birthday is refused) and reads the feed.
    assert api(stack, "PATCH", "/me", member, json={"birthday": "2999-01-01"}).status_code == 422
    profile = api(
        stack,
        "PATCH",
        "/me",
        member,
        json={"birthday": "1985-06-01", "household_notes": "两个孩子"},
    )
    assert profile.status_code == 200 and profile.json()["birthday"] == "1985-06-01", profile.text
    post = api(
        stack,
        "POST",
        "/posts",
        leader,
        json={"kind": "knowledge", "title": "本周菜价走势", "body": "青菜降价"},
    )
    assert post.status_code == 201, post.text
    assert [p["title"] for p in api(stack, "GET", "/posts", member).json()["items"]] == [
        "本周菜价走势"
    ]
    assert (
        api(
            stack, "POST", "/posts", member, json={"kind": "knowledge", "title": "x", "body": "y"}
        ).status_code
        == 403
    )

    # Three paid dairy orders: 高频乳品用户, 偏好有机, 活跃用户.
    for _ in range(3):
        placed = place()
        assert placed.status_code == 201, placed.text
        paid = api(stack, "POST", f"/orders/{placed.json()['id']}/mark-paid", leader)
        assert paid.status_code == 200, paid.text

    def tags():
        return api(stack, "GET", f"/members/{member_id}", leader).json()["tags"]

    assert eventually(lambda: "高频乳品用户" in tags()["auto"]), tags()
    detail = api(stack, "GET", f"/members/{member_id}", leader).json()
    assert sorted(detail["tags"]["auto"]) == sorted(["高频乳品用户", "偏好有机", "活跃用户"])
    assert (
        detail["order_stats"]["paid_orders"] == 3 and detail["order_stats"]["spent_cents"] == 4500
    )
    assert detail["household_notes"] == "两个孩子" and detail["repurchase_predictions"] == []
    tagged = api(
        stack,
        "PATCH",
        f"/members/{member_id}",
        leader,
        json={"tags_add": ["宝妈"], "note": "爱喝牛奶"},
    )
    assert tagged.status_code == 200 and tagged.json()["tags"]["manual"] == ["宝妈"], tagged.text
    for tag in ("宝妈", "高频乳品用户"):
        assert [
            m["id"]
            for m in api(stack, "GET", "/members", leader, params={"tag": tag}).json()["items"]
        ] == [member_id]

    # The post reached the group robot; the leader sees it delivered; no secret comes back.
    assert eventually(lambda: received, timeout=20), "the webhook got nothing"
    assert received[0] == {
        "msgtype": "text",
        "text": {"content": "【团长分享】本周菜价走势\n青菜降价"},
    }
    deliveries = api(stack, "GET", "/community/deliveries", leader).json()["items"]
    assert [(d["status"], d["kind"]) for d in deliveries] == [("delivered", "post")]
    assert "robot-secret" not in api(stack, "GET", "/community/channels", leader).text


def test_login_is_rate_limited(stack):
    slug = f"xianliu-{uuid.uuid4().hex[:6]}"
    api(
        stack,
        "POST",
        "/leaders/signup",
        json={
            "community_name": "限流团",
            "slug": slug,
            "phone": "13800000071",
            "password": "leader-secret-1",
            "display_name": "团长",
        },
    )
    answers = [
        api(
            stack,
            "POST",
            "/auth/login",
            json={"phone": "13800000071", "password": "wrong-password", "community": slug},
        ).status_code
        for _ in range(6)
    ]
    assert answers == [401] * 5 + [429]
    limited = api(
        stack,
        "POST",
        "/auth/login",
        json={"phone": "13800000071", "password": "leader-secret-1", "community": slug},
    )
    assert limited.status_code == 429 and limited.json()["retry_after_seconds"] > 0, limited.text
    assert limited.headers["Retry-After"] == str(limited.json()["retry_after_seconds"])
