"""The web UI's files: message catalogues complete in both languages, and the static route
never serving anything outside gateway/web."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from gateway.routes.web import WEB_ROOT, web_file
from services.infra.errors import NotFound

CATALOGUES = {
    name: json.loads((WEB_ROOT / "i18n" / f"{name}.json").read_text("utf-8"))
    for name in ("zh-CN", "en")
}
# The pages' own modules, in every folder (console/screens/...), not the vendored libraries.
SCRIPTS = sorted(
    path for path in WEB_ROOT.rglob("*.js") if path.relative_to(WEB_ROOT).parts[0] != "vendor"
)


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.parametrize("script", [path.relative_to(WEB_ROOT).as_posix() for path in SCRIPTS])
def test_every_script_parses_as_an_es_module(script, tmp_path):
    # A syntax error leaves a page blank with no message: caught here, before a browser runs.
    copy = tmp_path / (script.replace("/", "-")[:-3] + ".mjs")
    copy.write_text((WEB_ROOT / script).read_text("utf-8"), "utf-8")
    checked = subprocess.run(
        ["node", "--check", str(copy)], capture_output=True, text=True, timeout=30
    )
    assert checked.returncode == 0, checked.stderr


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_javascript_unit_tests_pass():
    # tests/unit/web/*.test.mjs: the shared modules on fakes (the live room's ping, parse guard,
    # reconnect).
    tests = sorted(str(path) for path in (Path(__file__).parent / "web").glob("*.test.mjs"))
    assert tests
    ran = subprocess.run(["node", "--test", *tests], capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "# fail 0" in ran.stdout


def test_both_catalogues_have_the_same_keys_and_no_empty_message():
    assert set(CATALOGUES["zh-CN"]) == set(CATALOGUES["en"])
    for messages in CATALOGUES.values():
        assert all(isinstance(text, str) and text.strip() for text in messages.values())


def test_both_catalogues_use_the_same_placeholders():
    for key, chinese in CATALOGUES["zh-CN"].items():
        assert set(re.findall(r"\{(\w+)\}", chinese)) == set(
            re.findall(r"\{(\w+)\}", CATALOGUES["en"][key])
        ), key


def test_every_message_the_pages_ask_for_is_in_the_catalogue():
    assert SCRIPTS, "no scripts found"
    used = set()
    for script in SCRIPTS:
        used |= set(re.findall(r"""\bt\("([a-z_.0-9]+)\"""", script.read_text("utf-8")))
        # dynamic keys: every prefix a template names must have messages
        for prefix in re.findall(r"""\bt\(`([a-z_.]+)\.\$\{""", script.read_text("utf-8")):
            assert any(key.startswith(prefix + ".") for key in CATALOGUES["zh-CN"]), prefix
    missing = sorted(used - set(CATALOGUES["zh-CN"]))
    assert missing == []


def test_order_statuses_and_the_not_yet_screens_have_chinese_names():
    for status in (
        "pending_payment",
        "paid",
        "packed",
        "delivering",
        "ready_for_pickup",
        "completed",
        "cancelled",
        "refunding",
        "refunded",
        "scheduled",
        "live",
        "ended",
    ):
        assert re.search(r"[\u4e00-\u9fff]", CATALOGUES["zh-CN"][f"status.{status}"])
    for screen in ("dashboard", "members", "after_sales", "campaigns", "admission"):
        assert f"not_yet.{screen}" in CATALOGUES["zh-CN"]


@pytest.mark.parametrize(
    "path", ["m/index.html", "console/index.html", "ops/index.html", "lib/ui.js", "i18n/zh-CN.json"]
)
def test_files_inside_the_web_folder_are_found(path):
    assert web_file(path) == WEB_ROOT / path


@pytest.mark.parametrize(
    "path",
    [
        "../routes/web.py",
        "m/../../service.py",
        "/etc/passwd",
        "..",
        "",
        "m/",
        ".hidden",
        "m/.secret.js",
        "lib/../../../pyproject.toml",
        "m/index.py",
        "nothing-here.js",
        "i18n/zh-CN.json/x",
    ],
)
def test_anything_else_is_not_found(path):
    with pytest.raises(NotFound):
        web_file(path)


def test_the_pages_load_scripts_only_from_this_site():
    for page in (
        WEB_ROOT / "m" / "index.html",
        WEB_ROOT / "console" / "index.html",
        WEB_ROOT / "ops" / "index.html",
    ):
        html = page.read_text("utf-8")
        assert (
            "http://" not in html
            and "https://" not in html
            and "//" not in re.sub(r"<!doctype[^>]*>", "", html)
        )
