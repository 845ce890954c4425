"""The operator's console (/ops/) as the operator uses it, in headless chromium: log in, see the
services, replay a parked event, suspend and resume a community, read the audit trail."""

import requests
from conftest import OPERATOR_PASSWORD, OPERATOR_PHONE
from test_browser import Watched, browser, expect  # noqa: F401 (browser: the fixture)
from test_browser import pytestmark as browser_marks
from test_operator import park
from test_tenant_isolation import community

from services.infra.topology import SERVICES

pytestmark = browser_marks


def test_the_operator_replays_a_parked_event_and_suspends_a_community(stack, browser):  # noqa: F811
    a = community(stack, "opsweb")
    bad = park(stack, a["tenant_id"])
    watched = Watched(browser, "operator")
    page = watched.page
    page.goto(f"{stack.url}/ops/#/login")
    page.fill("#operator-login-form input[name=phone]", OPERATOR_PHONE)
    page.fill("#operator-login-form input[name=password]", OPERATOR_PASSWORD)
    page.click("#operator-login-form button[type=submit]")
    for name in SERVICES:
        expect(page.locator(f"#services tr[data-service={name}]")).to_contain_text("正常")
    watched.shot("services")

    page.click("a[data-nav=parked]")
    row = page.locator("#parked tr", has_text=bad["event_id"])
    for _ in range(30):  # the event reaches orders' inbox within moments
        if row.count():
            break
        page.wait_for_timeout(500)
        page.click("a[data-nav=services]")
        page.click("a[data-nav=parked]")
    expect(row).to_have_count(1)
    watched.shot("parked")
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button.secondary").click()  # discard: confirmed, and gone from the parked list
    expect(page.locator("#parked tr", has_text=bad["event_id"])).to_have_count(0)

    page.click("a[data-nav=communities]")
    line = page.locator(f"#communities tr[data-community={a['slug']}]")
    page.once("dialog", lambda dialog: dialog.accept("平台费未缴"))
    line.locator(f"button[data-suspend={a['slug']}]").click()
    expect(line).to_contain_text("已暂停")
    expect(line).to_contain_text("平台费未缴")
    watched.shot("communities")
    line.locator(f"button[data-resume={a['slug']}]").click()
    expect(line.locator(f"button[data-suspend={a['slug']}]")).to_have_count(1)

    page.click("a[data-nav=audit]")
    expect(page.locator("#audit")).to_contain_text("暂停社区")
    expect(page.locator("#audit")).to_contain_text("恢复社区")
    expect(page.locator("#audit")).to_contain_text("放弃事件")
    watched.shot("audit")
    watched.close()


def test_the_operator_page_is_served(stack):
    response = requests.get(f"{stack.url}/ops/", timeout=10)
    assert response.status_code == 200 and "平台运维" in response.text
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
