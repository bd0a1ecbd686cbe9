"""The MCP gateway end to end: `capstan gateway` (and the controller's embedded one) in front of
real stdio MCP servers in containers, reached by real MCP clients (the Python SDK 1.30 in-process,
the SDK 2.3.0 as a subprocess, and JSON-RPC written out by hand over httpx).

One workspace, one gateway and one apply serve the whole module (images are built once). Tests
keep apart by client: each client below has its own token and policy, tests count a client's
audit rows before and after what they do, and the one test that changes a policy changes only
its own client's. The controller's embedded gateway gets a workspace of its own.
"""
import asyncio
import json
import signal
import subprocess
import time
import uuid

import httpx
import pytest

from conftest import Workspace, sh, stop_process
from gateway_support import (
    JSON_AND_SSE, MODERN, GatewayProcess, Mcp2Listener, RawSession, arguments_sha256, audit_calls,
    client_manifest, container_started_at, eventually, free_port, mcp2, modern_post, new_token,
    parse_answer, policy_manifest, run, sdk_session, stdio_server_manifest, text_of, time_server_manifest,
    token_hash, tool_names, wait_for_audit_rows, write_slowkit, write_textkit,
)

pytestmark = pytest.mark.filterwarnings("ignore:Use `streamable_http_client` instead:DeprecationWarning")

TEXTKIT_TOOLS = ["word_count", "slugify", "days_between"]

# Each test's client and what its policies allow: (server, tool patterns, effect).
POLICIES = {
    "alice": [("textkit", ["*"], "allow"), ("textkit", ["slug*"], "deny"), ("time", ["*"], "allow")],
    "bob": [("textkit", ["slugify"], "allow")],
    "rev": [("textkit", ["*"], "allow"), ("textkit", ["slug*"], "deny")],
    "crowd": [("textkit", ["slugify"], "allow")],
    "sleeper": [("slow", ["*"], "allow"), ("slow1s", ["*"], "allow")],
    "carol": [("textkit", ["word_count"], "allow")],
    "auditor": [("textkit", ["word_count", "slugify"], "allow")],
}
ALICE_TOOLS = {"textkit__word_count", "textkit__days_between", "time__get_current_time", "time__convert_time"}
REV_TOOLS = {"textkit__word_count", "textkit__days_between"}


class Env:
    def __init__(self, ws: Workspace, gateway: GatewayProcess, tokens: dict):
        self.ws = ws
        self.gateway = gateway
        self.url = gateway.url
        self.tokens = tokens

    def write_policy(self, client: str, rules: list) -> None:
        self.ws.write(f"policies/{client}.yaml", policy_manifest(f"{client}-tools", [client], rules))


@pytest.fixture(scope="module")
def env(tmp_path_factory, capstan_bin):
    root = tmp_path_factory.mktemp("gateway")
    ws = Workspace(root, capstan_bin)
    tokens = {name: new_token(name) for name in POLICIES}
    write_textkit(ws)
    write_slowkit(ws)
    ws.write("servers/textkit.yaml", stdio_server_manifest("textkit", project="textkit")
             + f"  tools: {json.dumps(TEXTKIT_TOOLS)}\n")
    ws.write("servers/time.yaml", time_server_manifest())
    ws.write("servers/slow.yaml", stdio_server_manifest("slow", project="slowkit"))
    ws.write("servers/slow1s.yaml", stdio_server_manifest("slow1s", project="slowkit", timeout="1s"))
    e = Env(ws, GatewayProcess(capstan_bin, ws.state, root / "gateway.log"), tokens)
    for name, rules in POLICIES.items():
        ws.write(f"clients/{name}.yaml", client_manifest(name, tokens[name]))
        e.write_policy(name, rules)
    ws.commit("gateway test repository")
    try:
        e.gateway.start()
        applied = ws.apply()
        assert applied.returncode == 0, applied.stdout + applied.stderr
        assert "route.alice" in applied.stdout, applied.stdout
        routes, etag = e.gateway.routes()
        assert etag == f'"{routes["generation"]}"' and routes["generation"] >= 1, (etag, routes)
        assert {c["name"] for c in routes["table"]["clients"]} == set(POLICIES)
        assert all(tokens[c["name"]] not in json.dumps(routes) for c in routes["table"]["clients"]), "tokens never reach the gateway"
        yield e
    finally:
        e.gateway.stop()
        ws.cleanup()
        print(e.gateway.output()[-4000:])


def audit_count(env, client: str) -> int:
    return len(audit_calls(env.ws, client))


def new_rows(env, client: str, before: int, added: int) -> list:
    return wait_for_audit_rows(env.ws, client, before + added)[before:]


# --- 1. identity and policy --------------------------------------------------------------------

def test_each_client_sees_only_what_its_policies_allow_and_calls_it_end_to_end(env):
    from mcp.shared.exceptions import McpError
    alice, bob = env.tokens["alice"], env.tokens["bob"]
    before = audit_count(env, "alice")

    async def scenario():
        async with sdk_session(env.url, alice) as (s, init):
            assert init.protocolVersion == "2025-11-25"
            assert init.capabilities.tools and init.capabilities.tools.listChanged
            assert tool_names(await s.list_tools()) == ALICE_TOOLS
            counted = await s.call_tool("textkit__word_count", {"text": "one two\nthree"})
            assert not counted.isError, counted
            assert counted.structuredContent == {"characters": 13, "words": 3, "lines": 2}
            now = await s.call_tool("time__get_current_time", {"timezone": "UTC"})
            assert not now.isError, now
            assert json.loads(text_of(now))["timezone"] == "UTC"
            with pytest.raises(McpError) as denied:
                await s.call_tool("textkit__slugify", {"text": "Not For Alice"})
            assert denied.value.error.code == -32602
        async with sdk_session(env.url, bob) as (s, _):
            assert tool_names(await s.list_tools()) == {"textkit__slugify"}
            slug = await s.call_tool("textkit__slugify", {"text": "Crème Brûlée for Bob"})
            assert text_of(slug) == "creme-brulee-for-bob"
            with pytest.raises(McpError) as denied:
                await s.call_tool("textkit__word_count", {"text": "not for bob"})
            assert denied.value.error.code == -32602

    run(scenario())
    rows = new_rows(env, "alice", before, 3)
    assert [(r["server"], r["tool"], r["decision"], r["outcome"]) for r in rows] == [
        ("textkit", "word_count", "allowed", "ok"),
        ("time", "get_current_time", "allowed", "ok"),
        ("textkit", "slugify", "denied", "denied"),
    ]


def test_missing_or_wrong_token_is_401_and_the_sdk_client_fails(env):
    rows_before = len(audit_calls(env.ws))
    init = {"jsonrpc": "2.0", "id": 0, "method": "initialize",
            "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "x", "version": "1"}}}
    base = {"Accept": JSON_AND_SSE, "Content-Type": "application/json"}
    for auth in (None, "Bearer wrong-token", f"Basic {env.tokens['alice']}", "Bearer"):
        headers = dict(base, **({"Authorization": auth} if auth else {}))
        r = httpx.post(env.url, json=init, headers=headers, timeout=10)
        assert r.status_code == 401, (auth, r.status_code, r.text)
        assert r.headers.get("www-authenticate", "").startswith("Bearer"), r.headers
        assert "mcp-session-id" not in r.headers
    # Stateless requests are authenticated the same way.
    r = modern_post(env.url, "wrong-token", "tools/list")
    assert r.status_code == 401, r.text

    async def connect(token):
        async with sdk_session(env.url, token) as (s, _):
            await s.list_tools()

    for token in ("wrong-token", None):
        started = time.monotonic()
        with pytest.raises(BaseException) as failed:
            run(connect(token), timeout=20)
        assert not isinstance(failed.value, (TimeoutError, asyncio.TimeoutError)), "the client must fail, not hang"
        assert "401" in repr(failed.value) or "Unauthorized" in repr(failed.value), repr(failed.value)
        assert time.monotonic() - started < 15

    r = modern_post(env.url, "wrong-token", "tools/call", {"name": "textkit__word_count", "arguments": {"text": "x"}})
    assert r.status_code == 401
    time.sleep(0.3)
    assert len(audit_calls(env.ws)) == rows_before, "an unauthenticated call is no client's call"


# --- 2. protocol revisions -------------------------------------------------------------------------

@pytest.mark.parametrize("revision", ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"])
def test_each_session_revision_lists_calls_and_refuses(env, revision):
    before = audit_count(env, "rev")
    with RawSession(env.url, env.tokens["rev"], revision) as s:
        assert s.negotiated == revision
        assert s.session_id, "session revisions get an Mcp-Session-Id"
        listed = s.request(1, "tools/list")
        assert {t["name"] for t in listed["result"]["tools"]} == REV_TOOLS
        called = s.request(2, "tools/call", {"name": "textkit__word_count", "arguments": {"text": f"a b c {revision}"}})
        assert called["id"] == 2 and called["result"].get("isError") is not True, called
        assert json.loads(called["result"]["content"][0]["text"])["words"] == 4
        denied = s.request("three", "tools/call", {"name": "textkit__slugify", "arguments": {"text": "x"}})
        assert denied["id"] == "three" and denied["error"]["code"] == -32602, denied
        pong = s.request(4, "ping")
        assert pong == {"jsonrpc": "2.0", "id": 4, "result": {}}
    rows = new_rows(env, "rev", before, 2)
    assert [(r["tool"], r["decision"], r["outcome"]) for r in rows] == [
        ("word_count", "allowed", "ok"), ("slugify", "denied", "denied")]
    assert {r.get("protocolVersion") for r in rows} == {revision}


def test_sdk_client_offering_2024_11_05_gets_that_revision(env, monkeypatch):
    import mcp.types
    from mcp.shared.exceptions import McpError
    monkeypatch.setattr(mcp.types, "LATEST_PROTOCOL_VERSION", "2024-11-05")

    async def scenario():
        async with sdk_session(env.url, env.tokens["rev"]) as (s, init):
            assert init.protocolVersion == "2024-11-05"
            assert tool_names(await s.list_tools()) == REV_TOOLS
            days = await s.call_tool("textkit__days_between", {"start": "2024-02-28", "end": "2024-03-01"})
            assert not days.isError and text_of(days) == "2"
            with pytest.raises(McpError) as denied:
                await s.call_tool("textkit__slugify", {"text": "x"})
            assert denied.value.error.code == -32602

    run(scenario())


def test_2025_03_26_batch_of_two_calls_and_a_notification_gets_two_answers(env):
    with RawSession(env.url, env.tokens["rev"], "2025-03-26") as s:
        batch = [
            {"jsonrpc": "2.0", "id": "first", "method": "tools/call",
             "params": {"name": "textkit__word_count", "arguments": {"text": "one"}}},
            {"jsonrpc": "2.0", "method": "notifications/roots/list_changed"},
            {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
             "params": {"name": "textkit__word_count", "arguments": {"text": "one two three four five"}}},
        ]
        r = s.post(batch)
        assert r.status_code == 200, (r.status_code, r.text)
        answers = parse_batch(r)
        assert isinstance(answers, list) and len(answers) == 2, answers
        by_id = {a["id"]: a for a in answers}
        assert set(by_id) == {"first", 2}
        assert json.loads(by_id["first"]["result"]["content"][0]["text"])["words"] == 1
        assert json.loads(by_id[2]["result"]["content"][0]["text"])["words"] == 5

        only_notifications = s.post([{"jsonrpc": "2.0", "method": "notifications/roots/list_changed"}])
        assert only_notifications.status_code == 202, only_notifications.text

    # Batches left MCP in 2025-06-18: a later session refuses one as a whole.
    with RawSession(env.url, env.tokens["rev"], "2025-11-25") as s:
        r = s.post([{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}])
        assert r.status_code == 400, (r.status_code, r.text)
        assert r.json()["error"]["code"] == -32600


def parse_batch(response: httpx.Response):
    if response.headers.get("content-type", "").startswith("application/json"):
        return response.json()
    events = [json.loads(line[5:]) for line in response.text.splitlines() if line.startswith("data:") and line[5:].strip()]
    return [m for e in events for m in (e if isinstance(e, list) else [e]) if "id" in m]


def test_2026_07_28_with_the_sdk_2_client_lists_calls_and_refuses(env):
    before = audit_count(env, "rev")
    out = mcp2(env.url, env.tokens["rev"], [
        {"op": "info"},
        {"op": "list"},
        {"op": "call", "name": "textkit__word_count", "args": {"text": "modern times are here"}},
        {"op": "call", "name": "textkit__slugify", "args": {"text": "refused"}},
    ])
    info, listed, called, denied = out
    assert info["protocol"] == MODERN, info
    assert set(listed["tools"]) == REV_TOOLS, listed
    assert called.get("isError") is False and called["structured"] == {"characters": 21, "words": 4, "lines": 1}, called
    assert denied.get("error", {}).get("code") == -32602, denied
    rows = new_rows(env, "rev", before, 2)
    assert [(r["tool"], r["decision"], r["outcome"], r.get("protocolVersion")) for r in rows] == [
        ("word_count", "allowed", "ok", MODERN), ("slugify", "denied", "denied", MODERN)]

    # mode="auto" finds 2026-07-28 through server/discover.
    (auto,) = mcp2(env.url, env.tokens["rev"], [{"op": "info"}], mode="auto")
    assert auto == {"protocol": MODERN, "server": "capstan-gateway"}, auto


def test_2026_07_28_headers_must_mirror_the_body(env):
    token = env.tokens["rev"]
    before = audit_count(env, "rev")
    call = {"name": "textkit__word_count", "arguments": {"text": "x"}}

    def refused(r, code):
        assert r.status_code == 400, (r.status_code, r.text)
        body = r.json()
        assert body["error"]["code"] == code and body["id"] == 7, body
        return body

    refused(modern_post(env.url, token, "tools/call", call, id_=7, headers={"Mcp-Name": "textkit__slugify"}), -32020)
    refused(modern_post(env.url, token, "tools/call", call, id_=7, headers={"Mcp-Name": None}), -32020)
    refused(modern_post(env.url, token, "tools/call", call, id_=7, headers={"Mcp-Method": "tools/list"}), -32020)
    refused(modern_post(env.url, token, "tools/list", id_=7, headers={"Mcp-Method": None}), -32020)
    # A name a header cannot carry as is travels base64-encoded and still matches.
    ok = modern_post(env.url, token, "tools/call", call, id_=7,
                     headers={"Mcp-Name": "=?base64?dGV4dGtpdF9fd29yZF9jb3VudA==?="})
    assert ok.status_code == 200 and parse_answer(ok)["result"]["resultType"] == "complete", ok.text

    # An unknown revision is named as such, with the supported ones.
    r = httpx.post(env.url, headers={"Authorization": f"Bearer {token}", "Accept": JSON_AND_SSE,
                                     "Content-Type": "application/json", "MCP-Protocol-Version": "2099-01-01",
                                     "Mcp-Method": "tools/list"},
                   content=json.dumps({"jsonrpc": "2.0", "id": 8, "method": "tools/list", "params": {"_meta": {
                       "io.modelcontextprotocol/protocolVersion": "2099-01-01",
                       "io.modelcontextprotocol/clientCapabilities": {}}}}), timeout=10)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["code"] == -32022 and error["data"]["requested"] == "2099-01-01", error
    assert {MODERN, "2025-11-25", "2024-11-05"} <= set(error["data"]["supported"])

    # Refused before dispatch: never forwarded, so never audited as calls; the one call let
    # through (base64 name) is.
    rows = new_rows(env, "rev", before, 1)
    assert [(r["tool"], r["outcome"]) for r in rows] == [("word_count", "ok")]

    # The body's _meta names 2026-07-28, so the request is a 2026-07-28 one whatever the header says.
    refused(modern_post(env.url, token, "tools/list", id_=7, headers={"MCP-Protocol-Version": "2025-11-25"}), -32020)


# --- 3. many clients on one stdio backend ----------------------------------------------------------

def test_forty_concurrent_sessions_each_get_their_own_answers(env):
    token = env.tokens["crowd"]
    run_id = uuid.uuid4().hex[:6]
    before = audit_count(env, "crowd")

    async def caller(i: int):
        async with sdk_session(env.url, token) as (s, _):
            answers = []
            for j in range(5):
                res = await s.call_tool("textkit__slugify", {"text": f"Caller {i} call {j} run {run_id}"})
                answers.append((j, res.isError, text_of(res)))
            return answers

    async def crowd():
        return await asyncio.gather(*(caller(i) for i in range(40)))

    started = time.monotonic()
    results = run(crowd(), timeout=120)
    elapsed = time.monotonic() - started
    for i, answers in enumerate(results):
        for j, is_error, text in answers:
            assert not is_error and text == f"caller-{i}-call-{j}-run-{run_id}", (i, j, text)
    print(f"40 sessions x 5 calls: {elapsed:.2f}s")
    rows = new_rows(env, "crowd", before, 200)
    assert {(r["tool"], r["decision"], r["outcome"]) for r in rows} == {("slugify", "allowed", "ok")}


# --- 4, 5, 8. slow calls: the backend killed, the per-call timeout, progress -------------------------

def test_backend_killed_during_a_slow_call_fails_it_at_once_and_the_next_call_restarts_it(env):
    from mcp.shared.exceptions import McpError
    name = env.ws.name("slow")
    before = audit_count(env, "sleeper")
    started_before = container_started_at(name)

    async def scenario():
        async with sdk_session(env.url, env.tokens["sleeper"]) as (s, _):
            warm = await s.call_tool("slow__sleep", {"seconds": 0.05, "steps": 1})
            assert text_of(warm) == "slept 0.05"
            in_flight = asyncio.Event()

            async def on_progress(progress, total, message):
                in_flight.set()

            call = asyncio.create_task(s.call_tool("slow__sleep", {"seconds": 30, "steps": 30}, progress_callback=on_progress))
            await asyncio.wait_for(in_flight.wait(), 15)
            before_kill = time.monotonic()
            await asyncio.to_thread(sh, "docker", "kill", name)
            killed = time.monotonic()
            with pytest.raises(McpError) as failed:
                await asyncio.wait_for(call, 10)
            failed_at = time.monotonic()
            print(f"docker kill took {killed - before_kill:.3f}s; the call failed {failed_at - before_kill:.3f}s after it began")
            assert failed_at - before_kill < 1.0
            assert "unavailable" in failed.value.error.message, failed.value.error

            again = await s.call_tool("slow__sleep", {"seconds": 0.05, "steps": 1})
            assert not again.isError and text_of(again) == "slept 0.05", again

    run(scenario())
    assert container_started_at(name) != started_before
    assert container_started_at(name).endswith("true")
    rows = new_rows(env, "sleeper", before, 3)
    assert [r["outcome"] for r in rows] == ["ok", "unavailable", "ok"], rows


def test_a_call_past_the_servers_timeout_fails_in_time_and_the_next_one_works(env):
    from mcp.shared.exceptions import McpError
    before = audit_count(env, "sleeper")

    async def scenario():
        async with sdk_session(env.url, env.tokens["sleeper"]) as (s, _):
            warm = await s.call_tool("slow1s__sleep", {"seconds": 0.05, "steps": 1})
            assert text_of(warm) == "slept 0.05", warm
            started = time.monotonic()
            with pytest.raises(McpError) as failed:
                await s.call_tool("slow1s__sleep", {"seconds": 5, "steps": 1})
            elapsed = time.monotonic() - started
            print(f"timed out after {elapsed:.3f}s: {failed.value.error.message}")
            assert 0.9 <= elapsed < 1.5, elapsed
            quick = await s.call_tool("slow1s__sleep", {"seconds": 0.2, "steps": 2})
            assert not quick.isError and text_of(quick) == "slept 0.2", quick

    run(scenario())
    rows = new_rows(env, "sleeper", before, 3)
    assert [(r["server"], r["outcome"]) for r in rows] == [("slow1s", "ok"), ("slow1s", "timeout"), ("slow1s", "ok")]
    assert 900 <= rows[1]["durationMs"] < 1500, rows[1]


def test_a_call_waiting_for_a_restarting_backend_gives_up_at_its_timeout(env):
    """The route's timeout bounds the whole call, also the wait for a backend whose container
    the gateway must start again; the start goes on, and a later call finds it ready."""
    from mcp.shared.exceptions import McpError
    before = audit_count(env, "sleeper")
    sh("docker", "kill", env.ws.name("slow1s"))

    async def scenario():
        async with sdk_session(env.url, env.tokens["sleeper"]) as (s, _):
            started = time.monotonic()
            with pytest.raises(McpError):
                await s.call_tool("slow1s__sleep", {"seconds": 5, "steps": 1})
            elapsed = time.monotonic() - started
            print(f"a call on a restarting backend gave up after {elapsed:.3f}s")
            assert elapsed < 1.5, f"a 1s call waited {elapsed:.3f}s for the backend to come back"
            deadline = time.monotonic() + 15
            while True:
                try:
                    quick = await s.call_tool("slow1s__sleep", {"seconds": 0.05, "steps": 1})
                    break
                except McpError:
                    assert time.monotonic() < deadline, "the backend never came back"
                    await asyncio.sleep(0.5)
            assert text_of(quick) == "slept 0.05"

    run(scenario())
    rows = audit_calls(env.ws, "sleeper")[before:]
    assert rows[0]["outcome"] == "timeout" and rows[-1]["outcome"] == "ok", rows


def test_progress_reaches_the_caller_before_the_result(env):
    async def scenario():
        async with sdk_session(env.url, env.tokens["sleeper"]) as (s, _):
            seen = []

            async def on_progress(progress, total, message):
                seen.append((progress, total, message))

            res = await s.call_tool("slow__sleep", {"seconds": 0.4, "steps": 4}, progress_callback=on_progress)
            assert not res.isError and text_of(res) == "slept 0.4"
            return seen

    seen = run(scenario())
    assert seen == [(float(i), 4.0, f"step {i} of 4") for i in range(4)], seen

    # The same through 2026-07-28: progress on the call's event stream, then the result.
    (called,) = mcp2(env.url, env.tokens["sleeper"], [
        {"op": "call", "name": "slow__sleep", "args": {"seconds": 0.4, "steps": 4}, "progress": True}])
    assert called.get("text") == "slept 0.4", called
    assert [p[0] for p in called["progress"]] == [0, 1, 2, 3], called


def test_gateway_announces_its_endpoint_when_listening(capstan_bin, tmp_path):
    """`capstan gateway --listen 127.0.0.1:0` says where it listens as soon as it does, also
    when its output is a pipe (a service manager's journal, a test harness)."""
    proc = subprocess.Popen([capstan_bin, "gateway", "--listen", "127.0.0.1:0", "--state-dir", tmp_path / "state"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        import selectors
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        assert sel.select(10), "nothing on stdout within 10s of starting"
        line = proc.stdout.readline()
        assert line.startswith("capstan gateway: MCP endpoint on http://127.0.0.1:"), line
        url = line.split(" on ", 1)[1].strip()
        assert not url.endswith(":0/mcp"), f"the bound port, not the asked-for 0: {line}"
        assert httpx.get(url.replace("/mcp", "/healthz"), timeout=5).status_code == 200
        r = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, timeout=5,
                       headers={"Authorization": "Bearer nobody", "Accept": JSON_AND_SSE})
        assert r.status_code == 401, "no routes yet: nobody is known"
    finally:
        stop_process(proc, grace=15)


def test_gateway_stops_promptly_while_clients_hold_streams(capstan_bin, tmp_path):
    """SIGINT ends the gateway within seconds even while a client keeps its GET stream (or a
    2026-07-28 listen stream) open: shutdown ends the streams instead of waiting for clients."""
    import threading
    gateway = GatewayProcess(capstan_bin, tmp_path / "state", tmp_path / "gateway.log").start()
    try:
        token = new_token("idle")
        _, etag = gateway.routes()
        put = gateway.put_routes({"servers": [], "clients": [{"name": "idle", "tokenHash": token_hash(token), "rules": []}]}, etag)
        assert put.status_code == 200, put.text
        session = RawSession(gateway.url, token, "2025-11-25").__enter__()
        opened = threading.Event()

        def hold():
            try:
                with session.http.stream("GET", gateway.url, headers={**session.headers(), "Accept": "text/event-stream"},
                                         timeout=120) as r:
                    assert r.status_code == 200
                    opened.set()
                    for _ in r.iter_lines():
                        pass
            except httpx.HTTPError:
                pass

        threading.Thread(target=hold, daemon=True).start()
        assert opened.wait(10)
        started = time.monotonic()
        gateway.proc.send_signal(signal.SIGINT)
        try:
            code = gateway.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            code = None
        print(f"exit {code} {time.monotonic() - started:.2f}s after SIGINT")
        assert code is not None and time.monotonic() - started < 5, "still running 10s after SIGINT with a stream open"
    finally:
        gateway.stop(grace=1)


# --- 6. routes change under connected clients ------------------------------------------------------

def test_policy_change_applied_while_connected_notifies_only_that_client(env):
    from mcp import types

    carol_changed, alice_changed = asyncio.Event(), asyncio.Event()

    def handler(flag):
        async def handle(message):
            if isinstance(message, types.ServerNotification) and isinstance(message.root, types.ToolListChangedNotification):
                flag.set()
        return handle

    textkit_started = container_started_at(env.ws.name("textkit"))
    generation = env.gateway.routes()[0]["generation"]
    listener = Mcp2Listener(env.url, env.tokens["carol"], events=1, wait=60)
    try:
        assert "acked" in listener.next_line(20)

        async def scenario():
            async with sdk_session(env.url, env.tokens["carol"], message_handler=handler(carol_changed)) as (carol, _), \
                    sdk_session(env.url, env.tokens["alice"], message_handler=handler(alice_changed)) as (alice, _):
                assert tool_names(await carol.list_tools()) == {"textkit__word_count"}
                await asyncio.sleep(0.5)  # the SDK opens its GET stream after initialized
                env.write_policy("carol", [("textkit", ["word_count", "days_between"], "allow")])
                env.ws.commit("carol may count days")
                plan = await asyncio.to_thread(env.ws.plan, "--detailed-exitcode")
                assert plan.returncode == 2, plan.stdout + plan.stderr
                assert "route.carol" in plan.stdout and "+textkit__days_between" in plan.stdout, plan.stdout
                assert "Routes: 0 to add, 1 to change, 0 to remove." in plan.stdout, plan.stdout
                applied = await asyncio.to_thread(env.ws.apply)
                assert applied.returncode == 0, applied.stdout + applied.stderr
                await asyncio.wait_for(carol_changed.wait(), 10)
                assert tool_names(await carol.list_tools()) == {"textkit__word_count", "textkit__days_between"}
                days = await carol.call_tool("textkit__days_between", {"start": "2024-01-01", "end": "2024-01-31"})
                assert text_of(days) == "30"
                await asyncio.sleep(0.5)
                assert not alice_changed.is_set(), "alice's view did not change: she is not told"

        run(scenario())
        event = listener.next_line(15)
        assert event == {"event": "ToolsListChanged", "tools": ["textkit__days_between", "textkit__word_count"]} or (
            event.get("event") == "ToolsListChanged"
            and set(event["tools"]) == {"textkit__word_count", "textkit__days_between"}), event
    finally:
        listener.stop()
    # A policy edit is a route change only: the backends keep running, and the table moved on
    # by one generation, so a writer holding the old one is refused.
    assert container_started_at(env.ws.name("textkit")) == textkit_started
    routes, etag = env.gateway.routes()
    assert routes["generation"] == generation + 1 and etag == f'"{generation + 1}"'
    stale = env.gateway.put_routes(routes["table"], if_match=f'"{generation}"')
    assert stale.status_code == 412, stale.text


# --- 7. the audit store ---------------------------------------------------------------------------

def test_every_tools_call_is_one_audit_row_with_its_decision_and_outcome(env):
    from mcp.shared.exceptions import McpError
    before = audit_count(env, "auditor")
    calls = [
        ("textkit__word_count", {"text": "audit me"}),
        ("textkit__slugify", {"text": "x", "max_length": 0}),  # the tool raises: isError
        ("textkit__days_between", {"start": "2024-01-01", "end": "2024-01-02"}),  # not allowed
        ("nosuch__tool", {}),  # no such server
        ("textkit__word_count", {"text": "again", "unicode": "Ünïcødé ✓"}),
    ]

    async def scenario():
        async with sdk_session(env.url, env.tokens["auditor"]) as (s, _):
            await s.list_tools()  # lists are not calls
            outcomes = []
            for name, args in calls:
                try:
                    res = await s.call_tool(name, args)
                    outcomes.append("error" if res.isError else "ok")
                except McpError as e:
                    outcomes.append(e.error.code)
            return outcomes

    assert run(scenario()) == ["ok", "error", -32602, -32602, "ok"]
    rows = new_rows(env, "auditor", before, len(calls))
    assert [(r["client"], r["server"], r["tool"], r["decision"], r["outcome"]) for r in rows] == [
        ("auditor", "textkit", "word_count", "allowed", "ok"),
        ("auditor", "textkit", "slugify", "allowed", "tool-error"),
        ("auditor", "textkit", "days_between", "denied", "denied"),
        ("auditor", "nosuch", "tool", "denied", "denied"),
        ("auditor", "textkit", "word_count", "allowed", "ok"),
    ]
    assert [r["argumentsSHA256"] for r in rows] == [arguments_sha256(a) for _, a in calls]
    assert all(isinstance(r["durationMs"], int) and r["durationMs"] >= 0 for r in rows)
    assert all("audit me" not in json.dumps(r) for r in rows), "arguments are kept as a hash only"
    by_server = json.loads(env.ws.run("audit", "calls", "--state-dir", env.ws.state, "-o", "json",
                                      "--client", "auditor", "--server", "nosuch").stdout)
    assert [(r["tool"], r["outcome"]) for r in by_server] == [("tool", "denied")]
    verify = env.ws.run("audit", "verify", "--state-dir", env.ws.state)
    assert verify.returncode == 0, verify.stdout + verify.stderr


# --- 6 again, in the controller: a pushed commit reaches connected clients ---------------------------

def test_controller_embedded_gateway_tells_connected_clients_about_a_pushed_policy(ws):
    token = new_token("watcher")
    ws.write("time.yaml", time_server_manifest())
    ws.write("watcher.yaml", client_manifest("watcher", token))
    ws.write("policy.yaml", policy_manifest("watcher-tools", ["watcher"], [("time", ["get_current_time"], "allow")]))
    bare = ws.repo.parent / "remote.git"
    sh("git", "init", "-q", "--bare", "-b", "main", bare)
    sh("git", "-C", ws.repo, "remote", "add", "origin", bare)

    def push(message):
        ws.commit(message)
        sh("git", "-C", ws.repo, "push", "-q", "--force", "origin", "main")

    push("time for watcher")
    port, gateway_port = free_port(), free_port()
    url = f"http://127.0.0.1:{gateway_port}/mcp"
    ws.state.mkdir()
    log = open(ws.secrets.parent / "controller.log", "ab")
    proc = subprocess.Popen([ws.capstan_bin, "controller", "--repo", f"file://{bare}", "--branch", "main",
                             "--state-dir", ws.state, "--secrets-dir", ws.secrets, "--listen", f"127.0.0.1:{port}",
                             "--gateway-listen", f"127.0.0.1:{gateway_port}", "--poll-interval", "1s"],
                            stdout=log, stderr=subprocess.STDOUT)
    changed = asyncio.Event()

    async def on_message(message):
        from mcp import types
        if isinstance(message, types.ServerNotification) and isinstance(message.root, types.ToolListChangedNotification):
            changed.set()

    def visible():
        try:
            async def names():
                async with sdk_session(url, token) as (s, _):
                    return tool_names(await s.list_tools())
            return run(names(), timeout=10) == {"time__get_current_time"}
        except Exception:
            return False

    try:
        eventually(visible, 60, interval=0.5)

        async def scenario():
            async with sdk_session(url, token, message_handler=on_message) as (s, _):
                assert tool_names(await s.list_tools()) == {"time__get_current_time"}
                await asyncio.sleep(0.5)
                ws.write("policy.yaml", policy_manifest("watcher-tools", ["watcher"], [("time", ["*"], "allow")]))
                await asyncio.to_thread(push, "all of time for watcher")
                await asyncio.wait_for(changed.wait(), 15)
                assert tool_names(await s.list_tools()) == {"time__get_current_time", "time__convert_time"}
                converted = await s.call_tool("time__convert_time", {"source_timezone": "UTC", "time": "12:00",
                                                                     "target_timezone": "Asia/Tokyo"})
                assert not converted.isError and "Asia/Tokyo" in text_of(converted), converted

        run(scenario())
        rows = wait_for_audit_rows(ws, "watcher", 1)
        assert (rows[0]["tool"], rows[0]["outcome"]) == ("convert_time", "ok")
    finally:
        stop_process(proc, signal.SIGTERM, grace=30)
        log.close()
        print((ws.secrets.parent / "controller.log").read_text(errors="replace")[-3000:])
