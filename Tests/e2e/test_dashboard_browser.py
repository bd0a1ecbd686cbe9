"""The dashboard in a real browser: headless Chromium (Debian's package, driven over CDP by
Tests/browser/cdp.py) loads every page of a controller running the quickstart (textkit built from
source, the reference time server, client alice and her policy) on the real engine.

Each page: the key text a new user needs is there, the console and network have no errors (a
Content-Security-Policy violation would be one), it works at 1280 px and at phone width without
sideways scrolling, it follows the system's dark or light preference, and the keyboard reaches
the navigation. Live updates redraw a page without a reload.

Screenshots go to $CAPSTAN_SCREENSHOTS when set (scripts/dashboard-screenshots.sh sets it to
docs/screenshots), else to the test's temporary directory.
"""
import os
import pathlib
import sys

import pytest

from conftest import REPO, Workspace, eventually, sh
from gateway_support import client_manifest, time_server_manifest, write_textkit
from test_controller import ADMIN_TOKEN, Controller
from test_dashboard import call_tools, commit, gateway_url, make_remote, request, running

sys.path.insert(0, str(REPO / "Tests" / "browser"))
from cdp import Browser  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:Use `streamable_http_client` instead:DeprecationWarning")

TOKEN = "quickstart-browser-test-token-0123456789"
POLICY = """\
apiVersion: capstan/v1
kind: Policy
metadata: {name: alice-tools}
spec:
  clients: [alice]
  rules:
    - {server: textkit, tools: ["*"], effect: allow}
    - {server: time, tools: [get_current_time, convert_time], effect: allow}
"""

# What a new user must see on each page, without reading any docs.
PAGES = {
    "/": ["Overview", "synced", "Last applied", "quickstart for the browser", "Next poll", "declared"],
    "/servers": ["textkit", "time", "word_count", "get_current_time", "alice", "running"],
    "/access": ["alice", "word_count", "convert_time", "allowed", "allow textkit: tools *"],
    "/history": ["succeeded", "server.textkit (create)", "server.time (create)"],
    "/calls": ["word_count", "alice", "allowed", "p50 ms"],
}
WIDTHS = {"desktop": 1280, "phone": 390}


class Quickstart:
    def __init__(self, ws, controller):
        self.ws = ws
        self.c = controller
        self.url = controller.url

    def push_and_sync(self, message):
        commit(self.ws, message)
        sh("git", "-C", self.ws.repo, "push", "-q", "--force", "origin", "main")
        r = request(self.c.port, "POST", "/api/v1/sync", body=b"",
                    headers={"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Length": "0"})
        assert r.status == 202, r


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory, capstan_bin):
    ws = Workspace(tmp_path_factory.mktemp("browser"), capstan_bin)
    bare = make_remote(ws)
    write_textkit(ws)
    ws.write("servers.yaml", "apiVersion: capstan/v1\nkind: Server\nmetadata: {name: textkit}\n"
                             "spec: {project: textkit, transport: stdio}\n---\n" + time_server_manifest())
    ws.write("clients.yaml", client_manifest("alice", TOKEN))
    ws.write("policies.yaml", POLICY)
    commit(ws, "quickstart for the browser")
    sh("git", "-C", ws.repo, "push", "-q", "--force", "origin", "main")
    c = Controller(ws, f"file://{bare}", poll="300s")
    try:
        c.start()
        head = sh("git", "-C", ws.repo, "rev-parse", "HEAD").stdout.strip()
        eventually(lambda: c.status().get("lastAppliedRevision") == head, 300, interval=0.5)
        assert running(ws, "textkit") and running(ws, "time"), ws.containers()
        url = eventually(lambda: gateway_url(c), 15)
        assert call_tools(url, TOKEN, [("textkit__word_count", {"text": "hello from the browser test"})]) == ["ok"]
        eventually(lambda: "word_count" in request(c.port, "GET", "/api/v1/calls").body, 15)
        yield Quickstart(ws, c)
    finally:
        c.stop()
        ws.cleanup()


@pytest.fixture(scope="module")
def browser(tmp_path_factory, quickstart):
    # Chromium runs in a network namespace of its own: the controller's port is the one it may reach.
    with Browser.launch(tmp_path_factory.mktemp("chromium"), ports=(quickstart.c.port,)) as b:
        yield b


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> pathlib.Path:
    out = os.environ.get("CAPSTAN_SCREENSHOTS")
    path = pathlib.Path(out) if out else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def slug(path: str) -> str:
    return path.strip("/") or "overview"


@pytest.mark.parametrize("path", PAGES)
def test_each_page_shows_its_key_text_without_errors_at_desktop_and_phone_width_in_both_themes(quickstart, browser, shots, path):
    page = browser.new_page(width=1280, height=900)
    try:
        for scheme in ("light", "dark"):
            page.set_color_scheme(scheme)
            for name, width in WIDTHS.items():
                page._set_viewport(width, 900 if name == "desktop" else 844)
                page.goto(quickstart.url + path)
                seen = page.text()
                for key in PAGES[path]:
                    assert key in seen, f"{path} ({name}, {scheme}) does not show {key!r}:\n{seen[:2000]}"
                assert page.problems() == [], f"{path} ({name}, {scheme})"
                # Wide tables scroll inside their own region; the page itself never scrolls sideways.
                overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
                assert overflow <= 0, f"{path} at {width} px is {overflow} px too wide"
                page.screenshot(shots / f"{slug(path)}-{name}-{scheme}.png")
        # The theme follows the system: the two schemes give different backgrounds.
        backgrounds = {}
        for scheme in ("light", "dark"):
            page.set_color_scheme(scheme)
            backgrounds[scheme] = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert backgrounds["light"] != backgrounds["dark"], backgrounds
    finally:
        page.close()


def test_the_keyboard_reaches_the_skip_link_then_the_navigation(quickstart, browser):
    page = browser.new_page()
    try:
        page.goto(quickstart.url + "/servers")
        page.press_tab()
        assert page.focused() == {"tag": "a", "text": "Skip to content", "href": "#main"}
        page.press_tab()
        assert page.focused()["href"] == "/"
        for expected in ("/servers", "/access", "/history", "/calls"):
            page.press_tab()
            assert page.focused()["href"] == expected
        # The current page is marked for assistive technology, not by colour alone.
        assert page.evaluate("document.querySelector('nav a[aria-current=page]').getAttribute('href')") == "/servers"
    finally:
        page.close()


def test_a_sync_redraws_the_open_page_without_a_reload(quickstart, browser):
    page = browser.new_page()
    try:
        page.goto(quickstart.url + "/")
        page.wait_for("document.getElementById('live').textContent === 'live'", timeout=10)
        page.evaluate("window.notReloaded = true")
        quickstart.push_and_sync("<script>alert('live')</script> second commit")
        page.wait_for("document.getElementById('main').innerText.includes(\"<script>alert('live')</script> second commit\")",
                      timeout=30)
        assert page.evaluate("window.notReloaded === true"), "the page was reloaded instead of redrawn"
        # The commit subject is text: the only script element is the dashboard's own.
        assert page.evaluate("[...document.scripts].map(s => s.getAttribute('src'))") == ["/assets/dashboard.js"]
        assert page.problems() == []
    finally:
        page.close()
