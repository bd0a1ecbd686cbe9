"""Tests of the headless-Chromium harness (cdp.py) itself, against static pages on 127.0.0.1
(and ::1), which the browser reaches from its own network namespace through cdp's relay.

The dashboard's browser tests trust this harness to notice what a person would see go wrong;
so every detector here is made to fire on a page built to trip it. Chromium missing is a
failure, not a skip: `make deps` installs it.
"""
import functools
import http.server
import os
import pathlib
import socket
import socketserver
import struct
import subprocess
import sys
import threading
import time

import pytest

import cdp

PAGES = {
    "clean.html": """<!doctype html><html><head><title>clean</title>
        <link rel="icon" href="data:,"></head>
        <body><h1>All servers in sync</h1><div style="height: 1500px">tall</div></body></html>""",
    "console-error.html": """<!doctype html><html><body><p>console</p>
        <script>console.error("reconcile failed:", 42)</script></body></html>""",
    "exception.html": """<!doctype html><html><body><p>exception</p>
        <script>window.notAFunction()</script></body></html>""",
    "missing-css.html": """<!doctype html><html><head><link rel="stylesheet" href="/nope.css">
        </head><body><p>missing css</p></body></html>""",
    # Served with a CSP header that forbids inline scripts (see Handler.end_headers).
    "csp.html": """<!doctype html><html><head><title>before</title></head><body><p>csp</p>
        <script>document.title = "inline script ran"</script></body></html>""",
    "scheme.html": """<!doctype html><html><head><style>
        body { background: rgb(255, 255, 255); }
        @media (prefers-color-scheme: dark) { body { background: rgb(0, 0, 0); } }
        </style></head><body><p>scheme</p></body></html>""",
    "links.html": """<!doctype html><html><body><p>Servers</p>
        <a href="/servers/textkit">textkit</a> <a href="/servers/other">other</a></body></html>""",
    "alert.html": """<!doctype html><html><body><p>alert</p>
        <script>alert("hello")</script></body></html>""",
}


class Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the site directory; remembers the headers of every request.

    /events streams two server-sent events, the second only once server.release is set;
    /hold streams one (then sets server.holding) and holds the connection until the client goes
    (then sets server.let_go).
    """

    def do_GET(self):
        if self.path in ("/events", "/hold"):
            self.server.requests.append((self.path, dict(self.headers)))
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            try:
                # retry: no reconnection within the test when the stream ends.
                self.wfile.write(b"retry: 60000\ndata: first\n\n")
                self.wfile.flush()
                if self.path == "/events":
                    self.server.release.wait(10)
                    self.wfile.write(b"data: second\n\n")
                else:
                    self.server.holding.set()
                    self.rfile.read()  # until the connection ends: the client sends no more
                    self.server.let_go.set()
            except OSError:
                pass
            return
        super().do_GET()

    def end_headers(self):
        if self.path.startswith("/csp.html"):
            self.send_header("Content-Security-Policy", "default-src 'none'; script-src 'self'")
        super().end_headers()

    def send_head(self):
        self.server.requests.append((self.path, dict(self.headers)))
        return super().send_head()

    def log_message(self, *args):
        pass  # keeps the test output to what failed


def serve(directory: pathlib.Path, family=socket.AF_INET, host="127.0.0.1"):
    class Server(http.server.ThreadingHTTPServer):
        address_family = family

        def server_bind(self):
            # HTTPServer's own asks socket.getfqdn(host): for ::1, which /etc/hosts may not
            # name, that is a reverse lookup sent to the machine's DNS server, off loopback.
            socketserver.TCPServer.server_bind(self)
            self.server_name, self.server_port = host, self.server_address[1]
    server = Server((host, 0), functools.partial(Handler, directory=str(directory)))
    server.requests = []
    server.release = threading.Event()
    server.holding = threading.Event()
    server.let_go = threading.Event()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    for name, html in PAGES.items():
        (root / name).write_text(html)
    server = serve(root)
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def base(site) -> str:
    return f"http://127.0.0.1:{site.server_address[1]}"


@pytest.fixture(scope="module")
def icon_less(tmp_path_factory):
    """An origin no other test visits: Chromium asks an origin for /favicon.ico once per browser,
    and remembers the 404 for the other pages of the module's browser."""
    root = tmp_path_factory.mktemp("icon-less")
    (root / "no-icon.html").write_text("<p>declares no icon</p>")
    server = serve(root)
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def v6_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("v6")
    (root / "v6.html").write_text("<p>over ::1</p>")
    server = serve(root, socket.AF_INET6, "::1")
    yield server
    server.shutdown()
    server.server_close()


class LoopbackServer:
    """A TCP server on 127.0.0.1 that hands each connection to `_answer` on a thread of its
    own (Chromium may open a connection ahead of need and send nothing)."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn):
        raise NotImplementedError

    def close(self):
        self.sock.close()


class Upper(LoopbackServer):
    """Reads until the client half-closes, then answers the bytes in upper case and closes.
    Only a relay that passes a half-close on lets it answer."""

    def _answer(self, conn):
        with conn:
            try:
                conn.settimeout(10)
                data = b""
                while chunk := conn.recv(4096):
                    data += chunk
                conn.sendall(data.upper())
            except OSError:
                pass


@pytest.fixture(scope="module")
def upper():
    server = Upper()
    yield server
    server.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory, site, icon_less, v6_site, upper):
    ports = (site.server_address[1], icon_less.server_address[1], v6_site.server_address[1],
             upper.port)
    with cdp.Browser.launch(tmp_path_factory.mktemp("chromium"), ports=ports) as browser:
        yield browser


@pytest.fixture
def page(browser):
    page = browser.new_page(width=1024, height=700)
    yield page
    page.close()


def png_size(path: pathlib.Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])  # IHDR: width, height


# -- what a page shows -------------------------------------------------------------------------

def test_clean_page_has_its_text_no_problems_and_screenshots_at_the_asked_width(page, base,
                                                                                tmp_path):
    page.goto(f"{base}/clean.html")
    assert "All servers in sync" in page.text()
    assert page.problems() == []
    shot = page.screenshot(tmp_path / "clean.png", width=800, height=600)
    width, height = png_size(shot)
    assert width == 800
    assert height >= 1500, "full_page should capture the content below the 600px viewport"
    viewport_only = page.screenshot(tmp_path / "top.png", width=800, height=600, full_page=False)
    assert png_size(viewport_only) == (800, 600)


def test_evaluate_returns_values_and_raises_what_javascript_threw(page, base):
    page.goto(f"{base}/clean.html")
    assert page.evaluate("document.title") == "clean"
    assert page.evaluate("Promise.resolve({a: [1, 2]})") == {"a": [1, 2]}
    with pytest.raises(cdp.CDPError, match="nope is not defined"):
        page.evaluate("nope()")


def test_wait_for_times_out_naming_what_it_waited_for(page, base):
    page.goto(f"{base}/clean.html")
    started = time.monotonic()
    with pytest.raises(cdp.CDPTimeout, match=r"window\.neverSet"):
        page.wait_for("window.neverSet", timeout=0.5)
    assert time.monotonic() - started < 5  # generous: the machine may be busy compiling
    page.evaluate("setTimeout(() => { window.later = 'yes' }, 100)")
    assert page.wait_for("window.later", timeout=5) == "yes"


# -- what goes wrong is reported ---------------------------------------------------------------

def test_console_error_is_a_problem(page, base):
    page.goto(f"{base}/console-error.html")
    problems = page.problems()
    assert [(p.kind, p.level, p.text) for p in problems] == [
        ("console", "error", "reconcile failed: 42")], problems


def test_uncaught_exception_is_a_problem(page, base):
    page.goto(f"{base}/exception.html")
    problem = page.wait_for_problem(lambda p: p.kind == "exception", what="the TypeError")
    assert "notAFunction is not a function" in problem.text


def test_missing_stylesheet_is_a_problem(page, base):
    page.goto(f"{base}/missing-css.html")
    problems = page.problems()
    assert any(p.kind == "network" and "404" in p.text and p.url.endswith("/nope.css")
               for p in problems), problems


def test_refused_fetch_is_a_problem(page, base):
    page.goto(f"{base}/clean.html")
    with socket.create_server(("127.0.0.1", 0)) as probe:
        closed_port = probe.getsockname()[1]  # free once the with block has closed it
    page.evaluate(f"fetch('http://127.0.0.1:{closed_port}/api/servers').catch(() => null)")
    problem = page.wait_for_problem(lambda p: p.kind == "network", what="the refused fetch")
    assert "ERR_CONNECTION_REFUSED" in problem.text
    assert problem.url == f"http://127.0.0.1:{closed_port}/api/servers"


def test_the_browsers_own_favicon_request_is_not_a_problem(page, icon_less):
    page.goto(f"http://127.0.0.1:{icon_less.server_address[1]}/no-icon.html")
    # The event and any problem it makes are recorded together: once it is here, so is that.
    favicon = page.wait_for_event(
        "Network.responseReceived", lambda p: p["response"]["url"].endswith("/favicon.ico"),
        timeout=10, since=0, what="the favicon's response")
    assert favicon["response"]["status"] == 404
    assert page.problems() == []


def test_csp_violation_of_an_inline_script_is_a_problem(page, base):
    page.goto(f"{base}/csp.html")
    problem = page.wait_for_problem(lambda p: "Content Security Policy" in p.text,
                                    what="the CSP violation")
    assert problem.level == "error"
    assert page.evaluate("document.title") == "before", "the CSP should have stopped the script"


def test_alert_is_dismissed_and_reported_rather_than_hanging_the_page(page, base):
    page.goto(f"{base}/alert.html", timeout=10)
    assert [(p.kind, p.text) for p in page.problems()] == [("dialog", "alert: hello")]


def test_goto_forgets_the_problems_of_the_page_before(page, base):
    page.goto(f"{base}/console-error.html")
    assert page.problems()
    page.goto(f"{base}/clean.html")
    assert page.problems() == []


# -- emulation and keyboard --------------------------------------------------------------------

def test_color_scheme_emulation_switches_prefers_color_scheme(page, base):
    page.goto(f"{base}/scheme.html")
    background = "getComputedStyle(document.body).backgroundColor"
    page.set_color_scheme("dark")
    assert page.evaluate(background) == "rgb(0, 0, 0)"
    page.set_color_scheme("light")
    assert page.evaluate(background) == "rgb(255, 255, 255)"


def test_tab_moves_focus_to_the_first_link_then_the_next(page, base):
    page.goto(f"{base}/links.html")
    assert page.focused() is None
    page.press_tab()
    assert page.focused() == {"tag": "a", "text": "textkit", "href": "/servers/textkit"}
    page.press_tab()
    assert page.focused()["href"] == "/servers/other"
    page.press_tab(shift=True)
    assert page.focused()["href"] == "/servers/textkit"


# -- what the page sends -----------------------------------------------------------------------

def test_extra_headers_and_cookies_reach_the_server(page, base, site):
    page.set_extra_headers({"Authorization": "Bearer test-token"})
    page.set_cookie("capstan_session", "s3cret", base)
    page.goto(f"{base}/clean.html?auth")
    headers = next(h for path, h in site.requests if path == "/clean.html?auth")
    assert headers.get("Authorization") == "Bearer test-token"
    assert "capstan_session=s3cret" in headers.get("Cookie", "")


def test_pages_do_not_share_cookies(browser, base, site):
    first, second = browser.new_page(), browser.new_page()
    try:
        first.set_cookie("only_first", "1", base)
        second.goto(f"{base}/clean.html?second")
        headers = next(h for path, h in site.requests if path == "/clean.html?second")
        assert "only_first" not in headers.get("Cookie", "")
    finally:
        first.close()
        second.close()


# -- the browser stays on loopback -------------------------------------------------------------

@pytest.mark.parametrize("url", ["http://example.com/", "https://example.com/",
                                 "http://203.0.113.7/"])  # a name, TLS, an IP literal
def test_pages_off_loopback_fail_fast_at_the_dead_proxy(page, url):
    started = time.monotonic()
    with pytest.raises(cdp.CDPError, match="ERR_PROXY_CONNECTION_FAILED"):
        page.goto(url, timeout=10)
    assert time.monotonic() - started < 5


def test_loopback_by_name_and_over_ipv6_bypasses_the_proxy(page, base, v6_site):
    port = base.rsplit(":", 1)[1]
    page.goto(f"http://localhost:{port}/clean.html")
    assert "All servers in sync" in page.text()
    page.goto(f"http://[::1]:{v6_site.server_address[1]}/v6.html")
    assert page.text() == "over ::1"


class RecordingProxy(LoopbackServer):
    """Stands in for the dead proxy: records each request line and answers 502."""

    def __init__(self):
        self.lines: list[str] = []
        super().__init__()

    def _answer(self, conn):
        with conn:
            try:
                conn.settimeout(5)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    data += chunk
                self.lines.append(data.split(b"\r\n", 1)[0].decode())
                conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n"
                             b"Connection: close\r\n\r\n")
            except OSError:
                pass  # Chromium gave up on it: nothing to record


def test_requests_off_loopback_reach_the_proxy_and_loopback_ones_do_not(tmp_path, base, site):
    proxy = RecordingProxy()
    try:
        with cdp.Browser.launch(tmp_path, ports=(site.server_address[1], proxy.port),
                                proxy=f"http://127.0.0.1:{proxy.port}") as browser:
            page = browser.new_page()
            page.goto(f"{base}/clean.html?direct")
            assert any(path == "/clean.html?direct" for path, _ in site.requests)
            # An empty 502 fails the navigation itself (a 502 with a body would be a page).
            with pytest.raises(cdp.CDPError, match="ERR_HTTP_RESPONSE_CODE_FAILURE"):
                page.goto("http://example.com/")
            with pytest.raises(cdp.CDPError, match="ERR_TUNNEL_CONNECTION_FAILED"):
                page.goto("https://example.com/")
    finally:
        proxy.close()
    assert "GET http://example.com/ HTTP/1.1" in proxy.lines
    assert "CONNECT example.com:443 HTTP/1.1" in proxy.lines
    # Chromium's own background requests (update.googleapis.com, accounts.google.com) come
    # here too, as they should: they die at the dead proxy. The loopback page must not.
    assert not [line for line in proxy.lines if "127.0.0.1" in line or "localhost" in line]


def test_launch_refuses_a_proxy_off_loopback_and_args_that_would_undo_the_isolation(tmp_path):
    with pytest.raises(ValueError, match="127"):
        cdp.Browser.launch(tmp_path, proxy="http://192.0.2.1:3128")
    for arg in ("--proxy-server=direct://", "--no-proxy-server", "--host-resolver-rules=",
                "--disable-features=Translate"):
        with pytest.raises(ValueError, match="may not override"):
            cdp.Browser.launch(tmp_path, extra_args=(arg,))
    for ports in ((0,), (65536,), ("8080",), (True,)):
        with pytest.raises(ValueError, match="port numbers"):
            cdp.Browser.launch(tmp_path, ports=ports)
    assert list(tmp_path.iterdir()) == [], "a refused launch should leave nothing behind"


@pytest.mark.parametrize("fake_unshare, reason", [
    # Not root, say: no namespace, no chromium.
    ("echo 'unshare: unshare failed: Operation not permitted' >&2; exit 1",
     "Operation not permitted"),
    # An unshare that makes no namespace: the launcher's guard refuses to go on.
    ('shift 2; exec "$@"', "not in a network namespace of its own")])
def test_a_launch_without_a_namespace_of_its_own_fails_fast_saying_why(tmp_path, monkeypatch,
                                                                        fake_unshare, reason):
    fake = tmp_path / "unshare"
    fake.write_text(f"#!/bin/sh\n{fake_unshare}\n")
    fake.chmod(0o755)
    monkeypatch.setattr(cdp, "UNSHARE", str(fake))
    started = time.monotonic()
    with pytest.raises(cdp.CDPError, match=f"chromium did not start(.|\n)*{reason}"):
        cdp.Browser.launch(tmp_path, ports=(8080,))
    assert time.monotonic() - started < 10  # not the 30 s of a launch that waits for nothing
    assert not list(tmp_path.glob("chromium-profile-*"))


def test_chromium_runs_with_the_isolation_switches(browser):
    args = pathlib.Path(f"/proc/{browser.pid}/cmdline").read_bytes().decode().split("\0")
    assert "--proxy-server=http://127.0.0.1:9" in args
    assert any(a.startswith("--host-resolver-rules=MAP * ~NOTFOUND,") for a in args), args
    assert "--webrtc-ip-handling-policy=disable_non_proxied_udp" in args
    assert any(a.startswith("--disable-features=") and "WebRtcHideLocalIpsWithMdns" in a
               for a in args), args


# -- the browser's own network namespace ---------------------------------------------------------

def test_a_listed_port_serves_pages_and_an_event_stream_through_the_relay(page, base, site):
    page.goto(f"{base}/clean.html?relayed")
    assert "All servers in sync" in page.text()
    assert any(path == "/clean.html?relayed" for path, _ in site.requests)
    page.evaluate("window.got = []; window.stream = new EventSource('/events');"
                  "stream.onmessage = e => got.push(e.data)")
    # The first event arrives while the server still holds the second: nothing waits for the
    # end of a response, and the open stream leaves room for another request beside it.
    assert page.wait_for("got.length && got", timeout=10) == ["first"]
    assert page.evaluate("fetch('/clean.html?beside').then(r => r.status)") == 200
    assert page.evaluate("got") == ["first"]
    site.release.set()
    assert page.wait_for("got.length == 2 && got", timeout=10) == ["first", "second"]
    page.evaluate("stream.close()")
    assert page.problems() == []


def test_a_loopback_port_not_listed_is_unreachable_from_the_page(page, base, tmp_path):
    (tmp_path / "private.html").write_text("<p>not for the browser</p>")
    server = serve(tmp_path)  # on the host's loopback, but not one of the browser's ports
    port = server.server_address[1]
    try:
        for host in ("127.0.0.1", "localhost", "[::1]"):
            with pytest.raises(cdp.CDPError, match="ERR_CONNECTION_REFUSED"):
                page.goto(f"http://{host}:{port}/private.html", timeout=10)
        page.goto(f"{base}/clean.html")
        page.evaluate(f"fetch('http://127.0.0.1:{port}/private.html').catch(() => null)")
        problem = page.wait_for_problem(lambda p: p.kind == "network", what="the refused fetch")
        assert "ERR_CONNECTION_REFUSED" in problem.text
        assert server.requests == []
    finally:
        server.shutdown()
        server.server_close()


def test_chromium_and_all_its_processes_run_in_a_network_namespace_of_their_own(browser):
    ours = os.readlink("/proc/self/ns/net")
    assert browser.netns == os.readlink(f"/proc/{browser.pid}/ns/net") != ours
    namespaces = []
    for pid in group_members(browser.pid):
        try:
            namespaces.append(os.readlink(f"/proc/{pid}/ns/net"))
        except OSError:
            pass  # a helper of a page closed by an earlier test, exiting just now
    assert len(namespaces) > 1  # the browser and its helpers
    assert set(namespaces) == {browser.netns}


# Runs inside the browser's namespace (nsenter). The guard comes first: in any namespace with
# more than lo, the route probes below could make the kernel send something, so they never run.
INSIDE = r"""
import errno, socket, sys
names = [name for _, name in socket.if_nameindex()]
if names != ["lo"]:
    sys.exit(f"interfaces {names}: not the browser's namespace, so nothing was probed")
print("interfaces", *names)
# connect() on UDP sends nothing: it only asks for a route (Chromium's IPv6 check does this).
for family, address in ((socket.AF_INET6, "2001:4860:4860::8888"),
                        (socket.AF_INET, "203.0.113.7")):
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect((address, 53))
            print("route to", address)
        except OSError as e:
            print("no route to", address, errno.errorcode[e.errno])
# Several connections open at once, over both loopback addresses, each half-closed before it
# reads its answer.
port = int(sys.argv[1])
conns = [socket.create_connection(("::1" if i % 2 else "127.0.0.1", port), timeout=10)
         for i in range(6)]
for i, conn in enumerate(conns):
    conn.sendall(b"hello %d" % i)
    conn.shutdown(socket.SHUT_WR)
for conn in reversed(conns):
    data = b""
    while chunk := conn.recv(4096):
        data += chunk
    print(data.decode())
"""


def test_the_namespace_has_only_lo_no_route_out_and_the_relay_passes_half_closes_on(browser,
                                                                                   upper):
    result = subprocess.run(
        ["nsenter", f"--net=/proc/{browser.pid}/ns/net", "--", sys.executable, "-I", "-S",
         "-c", INSIDE, str(upper.port)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "interfaces lo",
        "no route to 2001:4860:4860::8888 ENETUNREACH",
        "no route to 203.0.113.7 ENETUNREACH",
        *[f"HELLO {i}" for i in reversed(range(6))]]


def off_loopback_counters() -> dict[str, int]:
    """Neighbour solicitations sent, and packets sent on every interface but lo."""
    counters = {}
    for line in pathlib.Path("/proc/net/snmp6").read_text().splitlines():
        name, value = line.split()
        if name == "Icmp6OutNeighborSolicits":
            counters[name] = int(value)
    for line in pathlib.Path("/proc/net/dev").read_text().splitlines()[2:]:
        interface, fields = line.split(":", 1)
        if interface.strip() != "lo":
            counters[f"{interface.strip()} tx_packets"] = int(fields.split()[9])
    return counters


def test_a_launch_a_page_load_and_close_send_no_packet_off_loopback(tmp_path, base, site):
    # This machine sends nothing of its own on eth0 while idle, so any change is the browser's.
    # Before the namespace, Chromium's IPv6 reachability check made one neighbour solicitation
    # (and one eth0 packet) whenever the kernel had no fresh neighbour entry for the gateway.
    before = off_loopback_counters()
    with cdp.Browser.launch(tmp_path, ports=(site.server_address[1],)) as browser:
        page = browser.new_page()
        page.goto(f"{base}/clean.html?counted")
        assert "All servers in sync" in page.text()
    assert off_loopback_counters() == before


# -- the process ---------------------------------------------------------------------------------

def group_members(pgid: int) -> list[int]:
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = pathlib.Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":  # after ")": state, ppid, pgrp
                members.append(int(entry))
    return members


def processes_in(netns: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.readlink(f"/proc/{entry}/ns/net") == netns:
                    found.append(int(entry))
            except OSError:
                continue
    return found


def test_close_ends_every_process_and_relayed_connection_and_keeps_the_callers_directory(
        tmp_path, base, site):
    browser = cdp.Browser.launch(tmp_path, ports=(site.server_address[1],))
    page = browser.new_page()
    page.goto(f"{base}/clean.html")
    page.evaluate("new EventSource('/hold')")  # a relayed connection still open at close()
    assert site.holding.wait(10)
    assert len(group_members(browser.pid)) > 1  # the browser and its helpers
    assert browser._relay.threads > 0
    # Held open, the namespace cannot go away, so its id cannot name another one meanwhile.
    netns = os.open(f"/proc/{browser.pid}/ns/net", os.O_RDONLY)
    try:
        browser.close()
        browser.close()  # idempotent
        assert processes_in(browser.netns) == []
    finally:
        os.close(netns)
    assert group_members(browser.pid) == []
    assert site.let_go.wait(5), "the held connection should end with the browser"
    assert browser._relay.threads == 0
    assert not browser.profile_dir.exists()
    assert tmp_path.is_dir() and browser.log_path.exists()
    with pytest.raises(cdp.CDPError, match="closed"):
        browser.new_page()


def test_missing_chromium_says_to_run_make_deps(tmp_path, monkeypatch):
    monkeypatch.setattr(cdp, "CHROMIUM_CANDIDATES", (str(tmp_path / "no-chromium"),))
    with pytest.raises(cdp.CDPError, match="make deps"):
        cdp.Browser.launch(tmp_path)
