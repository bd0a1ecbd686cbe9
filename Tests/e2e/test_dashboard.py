"""The controller's read-only dashboard end to end: a real `capstan controller` following a git
remote on the real engine, with its embedded gateway routing real MCP calls, read back through
the dashboard's pages, their JSON twins, the live event stream and the sign-in.

One controller serves the module (two servers from the base image, two clients, a few calls
made in the fixture); the sign-in and `--no-dashboard` tests start controllers of their own.
"""
import html
import http.client as httpclient
import json
import re
import socket
import time
import urllib.parse
from html.parser import HTMLParser

import pytest

from conftest import BASE_IMAGE, Workspace, eventually, sh
from gateway_support import client_manifest, new_token, run, sdk_session, time_server_manifest
from test_controller import ADMIN_TOKEN, Controller

pytestmark = pytest.mark.filterwarnings("ignore:Use `streamable_http_client` instead:DeprecationWarning")

SCRIPT = '<script>alert("x")</script>'
HOSTILE = SCRIPT + " & co"
ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"

# A stdio MCP server (mcp is in the base image) whose tool description and tool error are markup.
EVIL_SERVER = f'''\
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("evil")


@mcp.tool(description={HOSTILE!r})
def shout(text: str) -> str:
    return text.upper()


@mcp.tool()
def boom() -> str:
    """Always fails."""
    raise ValueError({HOSTILE!r})


mcp.run()
'''

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                               "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
PAGES = {"/": "/api/v1/overview", "/servers": "/api/v1/servers", "/access": "/api/v1/access",
         "/history": "/api/v1/history", "/calls": "/api/v1/calls"}


# --- HTTP without redirects, and a little HTML reading ----------------------------------------------

class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        return self.headers.get(name)

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<{self.status} {dict(self.headers)} {self.body[:600]!r}>"


def request(port, method, path, body=None, headers=None, timeout=15) -> Resp:
    """One request, redirects not followed."""
    conn = http_client(port, timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return Resp(r.status, r.headers, r.read().decode(errors="replace"))
    finally:
        conn.close()


def http_client(port, timeout):
    return httpclient.HTTPConnection("127.0.0.1", port, timeout=timeout)


def get(port, path, **kw) -> Resp:
    return request(port, "GET", path, **kw)


def text(page: str) -> str:
    """What a reader sees: tags dropped, entities decoded, whitespace collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page))).strip()


class Tables(HTMLParser):
    """Every table row of a page as the text of its cells, and each cell's class."""

    def __init__(self, page: str):
        super().__init__()
        self.rows = []
        self._row = None
        self._cell = None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = [dict(attrs).get("class", ""), ""]

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append((self._cell[0], re.sub(r"\s+", " ", self._cell[1]).strip()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[1] += data

    def texts(self):
        return [[t for _, t in row] for row in self.rows]


def assert_secured(r: Resp, what: str):
    for name, value in SECURITY_HEADERS.items():
        assert r.header(name) == value, f"{what}: header {name} is {r.header(name)!r}, expected {value!r}"


# --- the module's controller ----------------------------------------------------------------------

class Dash:
    def __init__(self, ws, bare, controller, tokens):
        self.ws = ws
        self.bare = bare
        self.c = controller
        self.port = controller.port
        self.tokens = tokens
        self.gateway_url = None

    def head(self) -> str:
        return sh("git", "-C", self.ws.repo, "rev-parse", "HEAD").stdout.strip()

    def subject(self) -> str:
        return sh("git", "-C", self.ws.repo, "log", "-1", "--format=%s").stdout.strip()

    def get(self, path) -> Resp:
        return get(self.port, path)

    def twin(self, path):
        r = self.get(path)
        assert r.status == 200, (path, r)
        return r.json()

    def sync(self):
        r = request(self.port, "POST", "/api/v1/sync", body=b"",
                    headers={"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Length": "0"})
        assert r.status == 202, r

    def push(self, message, author="t"):
        commit(self.ws, message, author)
        sh("git", "-C", self.ws.repo, "push", "-q", "--force", "origin", "main")

    def push_and_apply(self, message, author="t"):
        self.push(message, author)
        head = self.head()
        self.sync()
        eventually(lambda: self.c.status().get("lastAppliedRevision") == head, 30)
        return head


def commit(ws, message, author="t"):
    sh("git", "-C", ws.repo, "add", "-A")
    sh("git", "-C", ws.repo, "-c", f"user.name={author}", "-c", "user.email=t@example.invalid",
       "commit", "-q", "--allow-empty", "-m", message)


def make_remote(ws):
    bare = ws.repo.parent / "remote.git"
    sh("git", "init", "-q", "--bare", "-b", "main", bare)
    sh("git", "-C", ws.repo, "remote", "add", "origin", bare)
    return bare


def running(ws, server):
    return ws.containers().get(ws.name(server), (None, None))[1] == "running"


def gateway_url(c: Controller) -> str | None:
    m = re.search(r"MCP gateway on (http://127\.0\.0\.1:\d+/mcp)", c.output())
    return m.group(1) if m else None


def evil_manifest() -> str:
    return ("apiVersion: capstan/v1\nkind: Server\nmetadata: {name: evil}\nspec:\n"
            f"  image: {BASE_IMAGE}\n  transport: stdio\n  command: {json.dumps(['python3', '-c', EVIL_SERVER])}\n")


def policies() -> str:
    return "\n".join([
        "apiVersion: capstan/v1", "kind: Policy", "metadata: {name: alice-tools}", "spec:",
        "  clients: [alice]", "  rules:",
        '    - {server: time, tools: ["get_current_time"], effect: allow}',
        '    - {server: evil, tools: ["*"], effect: allow}',
        "---",
        "apiVersion: capstan/v1", "kind: Policy", "metadata: {name: bob-tools}", "spec:",
        "  clients: [bob]", "  rules:",
        '    - {server: evil, tools: ["shout"], effect: allow}',
        # A resource pattern may hold markup (no spaces): the access page shows it in the rules.
        f"    - {{server: evil, resources: [{json.dumps(SCRIPT)}], effect: deny}}",
    ]) + "\n"


# What each client may call, by (server, tool), as the policies above decide.
ALLOWED = {
    "alice": {("time", "get_current_time"), ("evil", "shout"), ("evil", "boom")},
    "bob": {("evil", "shout")},
}


def call_tools(url, token, calls):
    """[(gateway tool name, arguments)] → ["ok" | "error" | JSON-RPC error code]."""
    from mcp.shared.exceptions import McpError

    async def scenario():
        async with sdk_session(url, token) as (s, _):
            await s.list_tools()
            out = []
            for name, args in calls:
                try:
                    res = await s.call_tool(name, args)
                    out.append("error" if res.isError else "ok")
                except McpError as e:
                    out.append(e.error.code)
            return out
    return run(scenario())


@pytest.fixture(scope="module")
def dash(tmp_path_factory, capstan_bin):
    root = tmp_path_factory.mktemp("dashboard")
    ws = Workspace(root, capstan_bin)
    bare = make_remote(ws)
    tokens = {"alice": new_token("alice"), "bob": new_token("bob")}
    ws.write("servers/time.yaml", time_server_manifest())
    ws.write("servers/evil.yaml", evil_manifest())
    ws.write("clients/alice.yaml", client_manifest("alice", tokens["alice"]))
    ws.write("clients/bob.yaml", client_manifest("bob", tokens["bob"]))
    ws.write("policies.yaml", policies())
    commit(ws, "Dashboard fixture: time and evil for alice and bob")
    sh("git", "-C", ws.repo, "push", "-q", "--force", "origin", "main")
    c = Controller(ws, f"file://{bare}", poll="300s")
    d = Dash(ws, bare, c, tokens)
    try:
        c.start()
        head = d.head()
        eventually(lambda: c.status().get("lastAppliedRevision") == head, 60, interval=0.3)
        assert running(ws, "time") and running(ws, "evil"), ws.containers()
        d.gateway_url = eventually(lambda: gateway_url(c), 15)
        # The gateway asks each server for its tools once it answers.
        eventually(lambda: {t["name"] for s in d.twin("/api/v1/servers")["servers"] for t in (s.get("tools") or [])}
                   >= {"get_current_time", "shout"}, 60, interval=0.5)
        assert call_tools(d.gateway_url, tokens["alice"], [
            ("time__get_current_time", {"timezone": "UTC"}),
            ("evil__shout", {"text": "hi"}),
            ("evil__boom", {}),
            ("time__convert_time", {"source_timezone": "UTC", "time": "12:00", "target_timezone": "UTC"}),
        ]) == ["ok", "ok", "error", -32602]
        assert call_tools(d.gateway_url, tokens["bob"], [
            ("time__get_current_time", {"timezone": "UTC"}),
            ("evil__shout", {"text": "hey"}),
        ]) == [-32602, "ok"]
        # The gateway writes audit rows asynchronously.
        eventually(lambda: len(d.twin("/api/v1/calls")["calls"]) >= 6, 15)
        yield d
    finally:
        c.stop()
        print(c.output()[-4000:])
        ws.cleanup()


# --- 1. pages and their twins -----------------------------------------------------------------------

def test_every_page_is_secured_html_and_every_twin_is_json(dash):
    for page, api in PAGES.items():
        r = dash.get(page)
        assert r.status == 200, (page, r)
        assert r.header("Content-Type").startswith("text/html"), (page, r.header("Content-Type"))
        assert_secured(r, page)
        assert 'rel="icon" href="/assets/capstan.svg"' in r.body, f"{page} links its icon, so no /favicon.ico 404"
        # The policy allows no inline script or style: every script is the asset, no style attributes.
        assert only_asset_scripts(r.body) == 1, page
        assert not re.search(r"<style\b|\sstyle=", r.body), page
        assert f'href="{api}"' in r.body, f"{page} links its JSON twin {api}"
        t = dash.get(api)
        assert t.status == 200, (api, t)
        assert t.header("Content-Type").startswith("application/json"), (api, t.header("Content-Type"))
        assert_secured(t, api)
        t.json()
    css, js = dash.get("/assets/dashboard.css"), dash.get("/assets/dashboard.js")
    assert css.status == 200 and css.header("Content-Type").startswith("text/css") and "body" in css.body, css
    assert js.status == 200 and "javascript" in js.header("Content-Type") and "/api/v1/events" in js.body, js
    icon = dash.get("/assets/capstan.svg")
    assert icon.status == 200 and icon.header("Content-Type") == "image/svg+xml" and icon.body.startswith("<svg"), icon


def test_overview_shows_repository_branch_revision_subject_and_counts(dash):
    head, subject = dash.head(), dash.subject()
    twin = dash.twin("/api/v1/overview")
    page = dash.get("/").body
    seen = text(page)
    assert twin["instance"] == dash.ws.instance and dash.ws.instance in seen
    assert "remote.git" in twin["repository"], twin["repository"]
    assert twin["repository"] in seen, "the page shows the repository"
    assert twin["branch"] == "main" and "Branch main" in seen
    assert twin["syncState"] == "synced", twin
    assert twin["lastAppliedRevision"] == head
    assert twin["lastApplied"]["summary"] == subject and twin["lastApplied"]["revision"] == head
    assert head[:12] in seen and f"“{subject}”" in seen, seen
    assert twin["lastAttempt"]["result"] == "succeeded" and twin["lastAttempt"]["errors"] == []
    assert twin["nextPoll"] and twin["generatedAt"]
    counts = twin["counts"]
    assert counts == {"servers": 2, "running": 2, "inSync": 2, "drifted": 0, "crashLooping": 0}, counts
    for label, key in [("declared", "servers"), ("running", "running"), ("in sync", "inSync"),
                       ("drifted", "drifted"), ("crash-looping", "crashLooping")]:
        assert f"{counts[key]} {label}" in seen, (label, seen)


def test_servers_page_lists_each_server_and_its_tools_with_the_clients_allowed(dash):
    twin = dash.twin("/api/v1/servers")
    page = dash.get("/servers").body
    seen = text(page)
    assert twin["gateway"] is True
    by_name = {s["name"]: s for s in twin["servers"]}
    assert set(by_name) == {"time", "evil"}, list(by_name)
    table = Tables(page).texts()
    header = table[0]
    spec, tools = header.index("Spec"), header.index("Tools → clients allowed")
    rows = {row[0]: row for row in table[1:]}
    assert set(rows) == set(by_name), rows
    for name, s in by_name.items():
        assert s["inSync"] and not s["crashLooping"] and s["observedState"] == "running", s
        assert re.fullmatch(r"[0-9a-f]{12}", s["observedSpecHash"] or ""), s
        assert s["observedSpecHash"] == s["desiredSpecHash"], s
        assert s["desiredSpecHash"] in rows[name][spec], (rows[name], s)
        assert s.get("tools") is not None and s.get("toolsError") is None, s
        for tool in s["tools"]:
            expected = sorted(client for client, allowed in ALLOWED.items() if (name, tool["name"]) in allowed)
            assert tool["clients"] == expected, (name, tool)
            who = ", ".join(expected) if expected else "no client"
            assert f"{tool['name']} → {who}" in rows[name][tools], (name, tool, rows[name])
    assert {t["name"] for t in by_name["time"]["tools"]} == {"get_current_time", "convert_time"}
    assert {t["name"] for t in by_name["evil"]["tools"]} == {"shout", "boom"}
    assert "get_current_time → alice" in seen and "convert_time → no client" in seen
    assert "shout → alice, bob" in seen and "boom → alice" in seen


def test_access_matrix_shows_each_client_and_its_allowed_and_denied_cells(dash):
    twin = dash.twin("/api/v1/access")
    page = dash.get("/access").body
    assert twin["gateway"] is True and twin["unlisted"] == []
    columns = [(c["server"], c["tool"]) for c in twin["columns"]]
    assert set(columns) == {("time", "get_current_time"), ("time", "convert_time"), ("evil", "shout"), ("evil", "boom")}
    assert [r["client"] for r in twin["rows"]] == ["alice", "bob"]
    for row in twin["rows"]:
        assert row["allowed"] == [col in ALLOWED[row["client"]] for col in columns], row
    assert "allow time: tools get_current_time (alice-tools)" in twin["rows"][0]["rules"]
    assert "allow evil: tools * (alice-tools)" in twin["rows"][0]["rules"]
    assert f"deny evil: resources {SCRIPT} (bob-tools)" in twin["rows"][1]["rules"], twin["rows"][1]

    table = Tables(page).rows
    header = [t for _, t in table[0]]
    assert header[1:] == [f"{s} {t}" for s, t in columns], header
    body = {row[0][1]: row[1:] for row in table[1:]}
    assert list(body) == ["alice", "bob"], body
    for row in twin["rows"]:
        cells = body[row["client"]]
        assert [(cls, t) for cls, t in cells] == [("allow", "allowed") if a else ("deny", "denied")
                                                  for a in row["allowed"]], (row, cells)
    seen = text(page)
    for row in twin["rows"]:
        for rule in row["rules"]:
            assert rule in seen, (rule, seen)


def test_history_shows_the_first_sync_and_its_actions(dash):
    twin = dash.twin("/api/v1/history")
    seen = text(dash.get("/history").body)
    assert twin["includeNoop"] is False and twin["runs"], twin
    starts = [r["startedAt"] for r in twin["runs"]]
    assert starts == sorted(starts, reverse=True), "newest first"
    first = twin["runs"][-1]
    assert first["result"] == "succeeded" and first["revision"]
    actions = {(a["address"], a["kind"]): a for a in first["actions"]}
    for server in ("time", "evil"):
        a = actions.get((f"server.{server}", "create"))
        assert a and a["outcome"] == "succeeded" and a["marker"] == "+", first["actions"]
        assert f"server.{server} (create): succeeded" in seen, seen
    assert first["revision"][:12] in seen
    for run_ in twin["runs"]:
        assert f"{len(run_['actions'])} actions" in seen
    assert "Show runs that changed nothing" in seen

    # A sync that changes nothing is listed only when asked for.
    before = len(dash.twin("/api/v1/history?noop=1")["runs"])
    dash.sync()
    noop = eventually(lambda: (h := dash.twin("/api/v1/history?noop=1")) and len(h["runs"]) > before and h, 30)
    assert noop["includeNoop"] is True and noop["runs"][0]["result"] == "noop" and noop["runs"][0]["trigger"] == "manual"
    assert noop["runs"][0]["actions"] == []
    assert "noop" not in {r["result"] for r in dash.twin("/api/v1/history")["runs"]}
    assert [r["id"] for r in dash.twin("/api/v1/history")["runs"]] == [r["id"] for r in twin["runs"]]
    noop_page = text(dash.get("/history?noop=1").body)
    assert "Hide runs that changed nothing" in noop_page and "noop" in noop_page
    assert "noop" not in text(dash.get("/history").body)


def test_calls_page_and_twin_show_allowed_and_denied_calls_with_stats(dash):
    twin = dash.twin("/api/v1/calls")
    assert twin["query"]["window"] == "24h" and twin["query"]["limit"] == 100
    calls = [(c["client"], c["server"], c["tool"], c["decision"], c["outcome"]) for c in twin["calls"]]
    assert ("alice", "time", "get_current_time", "allowed", "ok") in calls, calls
    assert ("alice", "evil", "shout", "allowed", "ok") in calls
    assert ("alice", "time", "convert_time", "denied", "denied") in calls
    assert ("bob", "time", "get_current_time", "denied", "denied") in calls
    ats = [c["at"] for c in twin["calls"]]
    assert ats == sorted(ats, reverse=True), "newest first"
    boom = next(c for c in twin["calls"] if c["tool"] == "boom")
    assert boom["decision"] == "allowed" and boom["outcome"] != "ok", boom
    stats = {(s["server"], s["tool"]): s for s in twin["stats"]}
    assert stats[("time", "convert_time")]["calls"] == 1 and stats[("time", "convert_time")]["denied"] == 1
    assert stats[("time", "get_current_time")]["calls"] == 2 and stats[("time", "get_current_time")]["denied"] == 1
    assert stats[("evil", "shout")]["calls"] == 2 and stats[("evil", "shout")]["denied"] == 0
    assert stats[("evil", "boom")]["failed"] == 1, stats[("evil", "boom")]
    assert sum(s["calls"] for s in twin["stats"]) == len(twin["calls"])

    rows = Tables(dash.get("/calls").body).texts()
    call_rows = [r for r in rows if len(r) == 7 and r[0] != "Started" and r[0] != "Tool"
                 and not any(r[0] == f"{s['server']} {s['tool']}" for s in twin["stats"])]
    assert len(call_rows) == len(twin["calls"]), call_rows
    for c, r in zip(twin["calls"], call_rows):
        assert r[1:5] == [c["client"], c["server"], c["tool"], c["decision"]], (c, r)
        assert r[5].startswith(c["outcome"]) and r[6] == str(c["durationMs"]), (c, r)
    page_stats = {r[0]: r[1:4] for r in rows if any(r[0] == f"{s['server']} {s['tool']}" for s in twin["stats"])}
    for s in twin["stats"]:
        assert page_stats[f"{s['server']} {s['tool']}"] == [str(s["calls"]), str(s["denied"]), str(s["failed"])], page_stats


# --- 3. filters -------------------------------------------------------------------------------------

def test_call_filters_narrow_and_bad_values_are_400_with_a_reason(dash):
    everything = dash.twin("/api/v1/calls?window=all")["calls"]
    denied = dash.twin("/api/v1/calls?client=alice&decision=denied")
    assert denied["query"]["client"] == "alice" and denied["query"]["decision"] == "denied"
    assert [(c["client"], c["tool"], c["decision"]) for c in denied["calls"]] == [("alice", "convert_time", "denied")]
    assert [(s["server"], s["tool"], s["calls"], s["denied"]) for s in denied["stats"]] == [("time", "convert_time", 1, 1)]
    assert len(everything) > len(denied["calls"])
    bob = dash.twin("/api/v1/calls?client=bob")["calls"]
    assert {c["client"] for c in bob} == {"bob"} and len(bob) == 2
    shout = dash.twin("/api/v1/calls?server=evil&tool=shout&decision=allowed")["calls"]
    assert {(c["server"], c["tool"], c["decision"]) for c in shout} == {("evil", "shout", "allowed")} and len(shout) == 2
    one = dash.twin("/api/v1/calls?limit=1")["calls"]
    assert one == everything[:1]
    assert dash.twin("/api/v1/calls?window=1h")["calls"] == everything
    page = text(dash.get("/calls?client=alice&decision=denied").body)
    assert "convert_time" in page and "get_current_time" not in page.split("Newest")[1], page

    for query, word in [("decision=maybe", "decision"), ("window=2d", "window"), ("limit=0", "limit"),
                        ("limit=1001", "limit"), ("limit=ten", "limit")]:
        r = dash.get("/api/v1/calls?" + query)
        assert r.status == 400, (query, r)
        assert_secured(r, query)
        body = r.json()
        assert body["error"] == "bad_request" and word in body["reason"], (query, body)
        p = dash.get("/calls?" + query)
        assert p.status == 400 and p.header("Content-Type").startswith("text/html"), (query, p)
        assert_secured(p, "/calls?" + query)
        assert body["reason"] in text(p.body), (query, p.body)


# --- 2. escaping ------------------------------------------------------------------------------------

def only_asset_scripts(page: str) -> int:
    """How many script tags a page has, each asserted to be the dashboard's own, without inline code."""
    tags = re.findall(r"<script\b([^>]*)>(.*?)</script\s*>", page, flags=re.S | re.I)
    assert len(tags) == len(re.findall(r"<script\b", page, flags=re.I)), page
    for attrs, body in tags:
        assert re.search(r'\ssrc="/assets/dashboard\.js"', attrs) and not body.strip(), f"a script besides the asset: {attrs!r} {body!r}"
    return len(tags)


def assert_escaped(page: str, where: str):
    assert "<script>alert" not in page, f"{where} carries raw markup from the repository or a server"
    assert only_asset_scripts(page) <= 1, where


def test_markup_in_commits_manifests_tool_descriptions_and_errors_is_escaped(dash):
    # A commit message (and author) of markup.
    head = dash.push_and_apply(HOSTILE, author='Eve "the" & co')  # git drops < and > from names
    overview = dash.get("/").body
    assert_escaped(overview, "/")
    assert ESCAPED + " &amp; co" in overview, overview
    assert "Eve &quot;the&quot; &amp; co" in overview, overview
    assert dash.twin("/api/v1/overview")["lastApplied"]["summary"] == HOSTILE, "the twin carries the text as it is"
    history = dash.twin("/api/v1/history?noop=1")
    assert history["runs"][0]["revision"] == head

    # A tool description from the server (a title attribute) and a tool error (the calls page).
    servers = dash.get("/servers").body
    assert_escaped(servers, "/servers")
    assert f'title="{ESCAPED} &amp; co"' in servers, servers
    evil = next(s for s in dash.twin("/api/v1/servers")["servers"] if s["name"] == "evil")
    assert next(t for t in evil["tools"] if t["name"] == "shout")["description"] == HOSTILE
    calls = dash.get("/calls?window=all").body
    assert_escaped(calls, "/calls")
    boom = next(c for c in dash.twin("/api/v1/calls")["calls"] if c["tool"] == "boom")
    if SCRIPT in (boom.get("error") or ""):
        assert ESCAPED in calls, "the tool's error is shown escaped"

    # A policy's resource pattern (the access page's rules).
    access = dash.get("/access").body
    assert_escaped(access, "/access")
    assert f"deny evil: resources {ESCAPED} (bob-tools)" in access, access

    # A manifest error that quotes a field name of markup (the overview's last error).
    good = (dash.ws.repo / "servers/time.yaml").read_text()
    dash.ws.write("servers/time.yaml", good + f"  {json.dumps(SCRIPT)}: 1\n")
    try:
        dash.push("bad field")
        bad = dash.head()
        dash.sync()
        eventually(lambda: (dash.c.status()["lastAttempt"] or {}).get("revision") == bad, 30)
        twin = dash.twin("/api/v1/overview")
        assert twin["syncState"] == "failed" and twin["lastAttempt"]["result"] == "invalid", twin
        assert any(SCRIPT in e for e in twin["lastAttempt"]["errors"]), twin["lastAttempt"]["errors"]
        overview = dash.get("/").body
        assert_escaped(overview, "/ with a failed attempt")
        assert ESCAPED in overview and "Last error" in overview

        for page in ["/history", "/history?noop=1", "/", "/servers", "/access", "/calls"]:
            assert_escaped(dash.get(page).body, page)
    finally:
        dash.ws.write("servers/time.yaml", good)
        dash.push_and_apply("Recover from the bad field")
        eventually(lambda: dash.twin("/api/v1/overview")["syncState"] == "synced", 30)

    # What a request reflects: the calls filters, a bad filter's reason, the sign-in form's `next`.
    q = urllib.parse.quote
    r = dash.get(f"/calls?client={q(chr(34) + '>' + SCRIPT)}&tool={q(SCRIPT)}")
    assert r.status == 200, r
    assert_escaped(r.body, "/calls with markup in the filters")
    assert f'value="&quot;&gt;{ESCAPED}"' in r.body and f'value="{ESCAPED}"' in r.body, r.body
    r = dash.get(f"/calls?decision={q(SCRIPT)}")
    assert r.status == 400, r
    assert_escaped(r.body, "/calls with a bad decision of markup")
    assert ESCAPED in r.body
    assert SCRIPT in dash.get(f"/api/v1/calls?decision={q(SCRIPT)}").json()["reason"]
    r = dash.get(f"/login?next={q('/' + chr(34) + '>' + SCRIPT)}")
    assert r.status == 200, r
    assert "<script>alert" not in r.body, "/login reflects its next parameter as markup"


# --- 4. live events ---------------------------------------------------------------------------------

class EventStream:
    """GET /api/v1/events, read line by line with a socket timeout."""

    def __init__(self, port, headers=None):
        self.conn = http_client(port, 20)
        self.conn.request("GET", "/api/v1/events", headers=headers or {})
        self.resp = self.conn.getresponse()
        self.raw = []
        self.events = []

    def line(self, deadline) -> str:
        self.conn.sock.settimeout(max(0.05, deadline - time.monotonic()))
        raw = self.resp.readline()
        if not raw:
            raise AssertionError(f"the event stream ended; read: {''.join(self.raw)!r}")
        s = raw.decode()
        self.raw.append(s)
        return s.rstrip("\r\n")

    def first_line(self, timeout=10) -> str:
        return self.line(time.monotonic() + timeout)

    def until(self, predicate, timeout, what, after=None) -> int:
        """The index in `events` of the first event past index `after` (when given, events already
        read count) or read from now on, that `predicate` accepts."""
        if after is not None:
            for index in range(after + 1, len(self.events)):
                if predicate(self.events[index]):
                    return index
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                line = self.line(deadline)
                if line.startswith("data:"):
                    self.events.append(json.loads(line[5:].strip()))
                    if predicate(self.events[-1]):
                        return len(self.events) - 1
        except (TimeoutError, socket.timeout):
            pass
        raise AssertionError(f"no {what} within {timeout}s; read: {''.join(self.raw)!r}")

    def close(self):
        self.conn.close()


def test_events_stream_sync_start_and_end_and_container_changes(dash):
    stream = EventStream(dash.port)
    try:
        assert stream.resp.status == 200
        assert stream.resp.headers["Content-Type"].startswith("text/event-stream"), stream.resp.headers
        assert stream.first_line() == ": connected"
        head = dash.head()
        dash.sync()
        started = stream.until(lambda e: e["type"] == "sync-started", 15, "sync-started")
        assert stream.events[started] == {"type": "sync-started", "trigger": "manual"}, stream.events
        finished = stream.until(lambda e: e["type"] == "sync-finished", 30, "sync-finished", after=started)
        assert stream.events[finished] == {"type": "sync-finished", "result": "succeeded", "revision": head}, stream.events

        sh("docker", "rm", "-f", dash.ws.name("evil"))
        gone = stream.until(lambda e: e["type"] == "container" and e.get("server") == "evil", 15, "container event for evil")
        assert stream.events[gone]["action"] in ("kill", "die", "stop", "destroy"), stream.events
        # The drift sync that follows puts it back, and says so.
        drift = stream.until(lambda e: e["type"] == "sync-started" and e["trigger"] == "drift", 15, "drift sync", after=gone)
        stream.until(lambda e: e["type"] == "container" and e.get("server") == "evil" and e["action"] == "start",
                     30, "container start for evil", after=drift)
        stream.until(lambda e: e["type"] == "sync-finished", 30, "drift sync-finished", after=drift)
        assert all(e["type"] in ("sync-started", "sync-finished", "container") for e in stream.events), stream.events
        events_text = "".join(stream.raw)
        for token in (ADMIN_TOKEN, *dash.tokens.values()):
            assert token not in events_text
    finally:
        stream.close()
    eventually(lambda: running(dash.ws, "evil"), 30)
    eventually(lambda: dash.twin("/api/v1/overview")["counts"]["running"] == 2, 30)


# --- 6. secrets ---------------------------------------------------------------------------------------

def test_no_token_appears_in_any_page_twin_or_event(dash):
    secrets = {"admin token": ADMIN_TOKEN, **{f"{k}'s client token": v for k, v in dash.tokens.items()}}
    paths = [*PAGES, *PAGES.values(), "/history?noop=1", "/api/v1/history?noop=1", "/calls?window=all&limit=1000",
             "/api/v1/calls?window=all&limit=1000", "/api/v1/calls?decision=denied", "/calls?limit=nope",
             "/login", "/assets/dashboard.js", "/assets/dashboard.css", "/assets/capstan.svg", "/api/v1/status"]
    seen = {}
    for path in paths:
        r = dash.get(path)
        seen[path] = r.body + "".join(f"{k}: {v}\n" for k, v in r.headers.items())
    stream = EventStream(dash.port)
    try:
        stream.first_line()
        dash.sync()
        stream.until(lambda e: e["type"] == "sync-finished", 30, "sync-finished")
        seen["/api/v1/events"] = "".join(stream.raw)
    finally:
        stream.close()
    for path, body in seen.items():
        for what, secret in secrets.items():
            assert secret not in body, f"{path} shows the {what}"
            assert secret[-16:] not in body, f"{path} shows part of the {what}"


# --- 5. sign-in -------------------------------------------------------------------------------------

def small_controller(ws, extra=()):
    """A controller on a one-server repository of its own (a sleeper from the base image)."""
    bare = make_remote(ws)
    ws.write("a.yaml", "apiVersion: capstan/v1\nkind: Server\nmetadata: {name: a}\nspec:\n"
                       f"  image: {BASE_IMAGE}\n  command: [\"python3\", \"-c\", \"import time; time.sleep(1000000)\"]\n")
    commit(ws, "one sleeper")
    sh("git", "-C", ws.repo, "push", "-q", "--force", "origin", "main")
    return Controller(ws, f"file://{bare}", poll="300s", extra=list(extra))


def cookie_of(r: Resp):
    """The Set-Cookie header as (name, value, {attribute: value or True}), lower-case keys."""
    header = r.header("Set-Cookie")
    assert header, r
    first, *attrs = [p.strip() for p in header.split(";")]
    name, _, value = first.partition("=")
    flags = {}
    for a in attrs:
        k, eq, v = a.partition("=")
        flags[k.lower()] = v if eq else True
    return name, value, flags


def login(port, token, next_path):
    body = urllib.parse.urlencode({"token": token, "next": next_path}).encode()
    return request(port, "POST", "/login", body=body,
                headers={"Content-Type": "application/x-www-form-urlencoded", "Content-Length": str(len(body))})


def test_sign_in_when_the_dashboard_asks_everyone(ws):
    c = small_controller(ws, ["--dashboard-auth", "always"])
    try:
        c.start()
        port = c.port
        # Pages send the browser to the form, twins and events answer 401.
        for page in PAGES:
            r = get(port, page)
            assert r.status == 303, (page, r)
            assert r.header("Location") == "/login?next=" + page, (page, r.header("Location"))
            assert_secured(r, page)
        for api in [*PAGES.values(), "/api/v1/events"]:
            r = get(port, api)
            assert r.status == 401, (api, r)
            assert r.header("WWW-Authenticate") == 'Bearer realm="capstan"', (api, r)
            assert r.header("Set-Cookie") is None
        form = get(port, "/login?next=/servers")
        assert form.status == 200 and form.header("Content-Type").startswith("text/html"), form
        assert_secured(form, "/login")
        assert 'name="token"' in form.body and 'value="/servers"' in form.body, form.body
        assert ADMIN_TOKEN not in form.body
        assert get(port, "/api/v1/status").status == 200, "the API outside the dashboard is unchanged"

        # A wrong token: 401, no cookie.
        wrong = login(port, "not-the-token", "/servers")
        assert wrong.status == 401 and wrong.header("Set-Cookie") is None, wrong
        assert wrong.header("Content-Type").startswith("text/html"), wrong
        assert_secured(wrong, "POST /login (wrong token)")
        assert "not-the-token" not in wrong.body

        # The right token: 303 to next, with a strict session cookie.
        ok = login(port, ADMIN_TOKEN, "/servers")
        assert ok.status == 303 and ok.header("Location") == "/servers", ok
        name, value, flags = cookie_of(ok)
        assert name == "capstan_dashboard" and re.fullmatch(r"[0-9a-f]{32,}", value), ok.header("Set-Cookie")
        assert value != ADMIN_TOKEN and ADMIN_TOKEN not in ok.header("Set-Cookie")
        assert flags == {"path": "/", "httponly": True, "samesite": "Strict", "max-age": "43200"}, ok.header("Set-Cookie")
        cookie = {"Cookie": f"capstan_dashboard={value}"}
        for page, api in PAGES.items():
            r = get(port, page, headers=cookie)
            assert r.status == 200 and r.header("Content-Type").startswith("text/html"), (page, r)
            assert_secured(r, page)
            assert get(port, api, headers=cookie).status == 200, api
        events = EventStream(port, headers=cookie)
        try:
            assert events.resp.status == 200 and events.first_line() == ": connected"
        finally:
            events.close()

        # The admin token as a bearer token, for scripts.
        bearer = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        r = get(port, "/api/v1/overview", headers=bearer)
        assert r.status == 200 and r.json()["instance"] == ws.instance, r
        assert get(port, "/api/v1/overview", headers={"Authorization": "Bearer wrong"}).status == 401
        assert get(port, "/servers", headers=bearer).status == 200

        # Logout ends the session: the old cookie no longer opens anything.
        out = request(port, "POST", "/logout", body=b"", headers={**cookie, "Content-Length": "0"})
        assert out.status == 303, out
        _, cleared, out_flags = cookie_of(out)
        assert cleared == "" and out_flags.get("max-age") == "0", out.header("Set-Cookie")
        r = get(port, "/servers", headers=cookie)
        assert r.status == 303 and r.header("Location").startswith("/login"), r
        assert get(port, "/api/v1/servers", headers=cookie).status == 401

        # `next` names a path on this server, nothing else. Browsers drop tabs and newlines from
        # a URL before reading it, so `/<tab>/host` is `//host`: another site.
        wrong_places = {}
        for evil in ["//evil.example", "//evil.example/servers", "http://evil.example/", "https:evil.example",
                     "/\\evil.example", "evil.example", "/\t/evil.example", "/\r\n/evil.example"]:
            r = login(port, ADMIN_TOKEN, evil)
            assert r.status == 303, (evil, r)
            if r.header("Location") != "/":
                wrong_places[evil] = r.header("Location")
        assert 'value="/"' in get(port, "/login?next=//evil.example").body
        # The form carries what the link said into the POST: it must have made it safe already.
        form_next = re.search(r'name="next" value="([^"]*)"', get(port, "/login?next=/%09/evil.example").body).group(1)
        if html.unescape(form_next) != "/":
            wrong_places["GET /login?next=/%09/evil.example, the form's next"] = html.unescape(form_next)
        assert not wrong_places, (
            f"sign-in sends the browser off this server; expected '/' for each: {wrong_places}")
    finally:
        c.stop()


def test_without_an_admin_token_sign_in_is_refused_with_403(ws):
    c = small_controller(ws, ["--dashboard-auth", "always"])
    i = c.args.index("--admin-token-file")
    del c.args[i:i + 2]
    try:
        c.start()
        r = get(c.port, "/")
        assert r.status == 403 and r.header("Content-Type").startswith("text/html"), r
        assert_secured(r, "/")
        r = get(c.port, "/api/v1/overview")
        assert r.status == 403 and r.json()["error"] == "forbidden", r
        assert login(c.port, ADMIN_TOKEN, "/").status == 403
        assert get(c.port, "/api/v1/overview", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).status == 403
    finally:
        c.stop()


def test_no_dashboard_serves_only_the_api(ws):
    c = small_controller(ws, ["--no-dashboard"])
    try:
        c.start()
        for path in ["/", "/servers", "/api/v1/overview", "/api/v1/calls", "/api/v1/events", "/assets/dashboard.js", "/login"]:
            assert get(c.port, path).status == 404, path
        assert get(c.port, "/api/v1/status").status == 200
        assert get(c.port, "/healthz").status == 200
    finally:
        c.stop()
