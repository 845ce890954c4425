"""The gateway serves the web UI's files over HTTP: content types, caching, no traversal, and
the links members receive (invitations, the payment provider's way back)."""

import re
import uuid
from urllib.parse import urljoin

import pytest
import requests
from test_walking_skeleton import api

pytestmark = pytest.mark.e2e

# Where a module names another: `import {a} from "x"`, `export {a} from "x"`, `import "x"`,
# `import("x")`.
IMPORTED = re.compile(
    r"""^\s*(?:import|export)\b[^;"'`]*?\bfrom\s*["']([^"']+)["']"""
    r"""|^\s*import\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)""",
    re.M,
)
ENTRY_SCRIPT = re.compile(r'<script\b[^>]*\bsrc="([^"]+)"')


def get(stack, path, **kwargs):
    return requests.get(f"{stack.url}{path}", timeout=10, allow_redirects=False, **kwargs)


def test_the_two_faces_are_served_with_their_content_types_and_cache_rules(stack):
    for entry in ("/m/", "/console/"):
        page = get(stack, entry)
        assert page.status_code == 200
        assert page.headers["Content-Type"] == "text/html; charset=utf-8"
        assert page.headers["Cache-Control"].startswith("no-cache")
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
        assert page.headers["X-Content-Type-Options"] == "nosniff"
        assert 'type="module"' in page.text
        again = get(stack, entry, headers={"If-None-Match": page.headers["ETag"]})
        assert again.status_code == 304 and again.content == b""
    script = get(stack, "/web/m/app.js")
    assert script.status_code == 200 and script.headers["Content-Type"].startswith(
        "text/javascript"
    )
    assert "max-age=300" in script.headers["Cache-Control"]
    assert get(stack, "/web/lib/style.css").headers["Content-Type"].startswith("text/css")
    catalogue = get(stack, "/web/i18n/zh-CN.json")
    assert (
        catalogue.headers["Content-Type"].startswith("application/json")
        and catalogue.json()["status.paid"] == "已支付"
    )
    assert get(stack, "/m").status_code in (301, 308)


def test_every_module_the_pages_import_is_served_as_javascript(stack):
    # A wrong import path leaves a page blank with one console error: each page's entry module
    # and everything it imports, transitively, must answer 200 with a JavaScript content type.
    seen = {}
    waiting = []
    for entry in ("/m/", "/console/"):
        scripts = ENTRY_SCRIPT.findall(get(stack, entry).text)
        assert scripts, entry
        waiting += [urljoin(entry, src) for src in scripts]
    while waiting:
        path = waiting.pop()
        if path in seen:
            continue
        module = get(stack, path)
        assert module.status_code == 200, f"{path} ({module.status_code}), imported by a page"
        assert module.headers["Content-Type"].startswith("text/javascript"), path
        seen[path] = module.text
        for name in ("".join(groups) for groups in IMPORTED.findall(module.text)):
            assert name.startswith(("./", "../", "/")), (
                f"{path} imports {name!r}: only paths, no bare names"
            )
            waiting.append(urljoin(path, name))
    # Both faces share the live-room client; each screen of either face is a module of its own.
    assert {
        "/web/lib/live-room.js",
        "/web/m/screens/live.js",
        "/web/console/screens/live.js",
    } <= set(seen)


def test_only_files_of_the_web_folder_are_served_and_unknown_ones_are_a_404_problem(stack):
    for path in (
        "/web/nothing.js",
        "/web/../routes/web.py",
        "/web/%2e%2e/routes/web.py",
        "/web/..%2fservice.py",
        "/web/m/%2e%2e/%2e%2e/service.py",
        "/web/.gitignore",
        "/web/lib/../../service.py",
        "/web/m/index.py",
        "/web/m/",
    ):
        response = get(stack, path)
        assert response.status_code == 404, path
        assert response.headers["Content-Type"].startswith("application/problem+json"), path
        assert response.json()["status"] == 404


def test_the_vendor_manifest_names_only_installed_libraries(stack):
    manifest = get(stack, "/web/vendor.json")
    assert manifest.status_code == 200
    for url in manifest.json().values():
        library = get(stack, url)
        assert library.status_code == 200 and "max-age=86400" in library.headers["Cache-Control"]


def test_invite_and_product_links_open_the_member_pages(stack):
    invited = get(stack, "/c/xiaoya/join?invite=AB12CD34")
    assert (
        invited.status_code == 302
        and invited.headers["Location"] == "/m/#/join/xiaoya?invite=AB12CD34"
    )
    odd = get(stack, "/c/xiaoya/join?invite=%3Cscript%3E")
    assert odd.headers["Location"] == "/m/#/join/xiaoya"
    shared = get(stack, "/c/xiaoya/products/p1?invite=AB12CD34")
    assert shared.headers["Location"] == "/m/#/c/xiaoya/products/p1?invite=AB12CD34"
    assert get(stack, "/").headers["Location"] == "/m/"


def test_the_sandbox_pay_page_leads_back_to_the_order_and_never_to_another_site(stack):
    slug = f"web-{uuid.uuid4().hex[:8]}"
    leader = api(
        stack,
        "POST",
        "/leaders/signup",
        json={
            "community_name": "返回测试",
            "slug": slug,
            "phone": "13800000001",
            "password": "leader-secret-1",
            "display_name": "测",
        },
    ).json()["token"]
    product = api(
        stack, "POST", "/products", leader, json={"name": "米", "price_cents": 100, "stock": 5}
    ).json()
    joined = api(
        stack,
        "POST",
        f"/communities/{slug}/join",
        json={
            "phone": "13900000002",
            "password": "member-secret-1",
            "name": "李阿姨",
            "building": "1栋",
            "unit": "101",
        },
    )
    assert joined.status_code == 201, joined.text
    member = joined.json()["token"]
    order = api(
        stack,
        "POST",
        "/orders",
        member,
        json={"items": [{"product_id": product["id"], "quantity": 1}]},
    ).json()
    pay_url = api(
        stack, "POST", f"/orders/{order['id']}/pay", member, json={"method": "sandbox"}
    ).json()["payment"]["pay_url"]
    back = requests.get(pay_url, params={"return": f"/m/#/orders/{order['id']}"}, timeout=10)
    assert f'href="/m/#/orders/{order["id"]}"' in back.text
    for elsewhere in (
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
    ):
        page = requests.get(pay_url, params={"return": elsewhere}, timeout=10)
        assert 'href="/m/#/orders"' in page.text, elsewhere
