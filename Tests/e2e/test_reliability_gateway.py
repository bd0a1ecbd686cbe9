"""Reliability of the MCP gateway (issue 7, parts 1 and 3), each scenario recorded with the
`reliability` fixture for docs/RELIABILITY.md:

1. Bad backends next to a healthy one: a tool that never answers, a server that writes garbage
   to stdout, one that exits on every call, one that answers with 8 MiB (50 MiB in the full
   form, plus a line over the gateway's 64 MiB limit). Every bad call ends in a clear JSON-RPC
   error (or, for the big answer, the whole of it), a healthy client calling meanwhile is not
   held up, the gateway's memory stays bounded, and every call is one audit row with the right
   outcome.
2. Load: many concurrent clients with several tokens through the gateway to three backends;
   no errors and exactly one audit row per call.
3. Many servers in one repository: apply, then a no-op plan and a no-op apply, against the
   figures of docs/benchmarks.md.

The servers are raw JSON-RPC line loops (no SDK) in the base image, so what they write to
stdout is exactly what the test says. The clients are lean: JSON-RPC over http.client, one
keep-alive connection and one session each (initialize, notifications/initialized,
tools/call with the Mcp-Session-Id), in threads: the SDK's client costs far more CPU per call
than the gateway does, and on two cores it would measure itself.
"""
import http.client
import json
import statistics
import threading
import time
import urllib.parse

import pytest

from conftest import BASE_IMAGE, FULL, Workspace, eventually, scale, server_manifest
from gateway_support import (
    GatewayProcess, audit_calls, client_manifest, container_started_at, new_token, policy_manifest,
    stdio_server_manifest,
)

# One stdio MCP server, its behaviour chosen by argv[1]. Every server has `echo`; the bad ones
# add the tool that misbehaves.
SERVER = r'''
import json, os, sys
MODE = sys.argv[1]
TOOLS = {"healthy": [], "hang": ["hang"], "garbage": ["noisy", "only_garbage"], "crash": ["crash"], "big": ["big"]}[MODE]
out = sys.stdout.buffer

def send(message):
    out.write(json.dumps(message, separators=(",", ":")).encode() + b"\n")
    out.flush()

GARBAGE = (b"this is not JSON\n" + b"\x00\xff\xfe\x80 binary \xc3\x28\n" + b'{"half": \n'
           + b'{"valid": "JSON, but not JSON-RPC"}\n' + b"[1, 2, 3]\n"
           + b'{"jsonrpc":"2.0","id":987654321,"result":{}}\n' + b"x" * (1 << 20) + b"\n")

while True:
    line = sys.stdin.buffer.readline()
    if not line:
        break
    if not line.strip():
        continue
    m = json.loads(line)
    method, id_ = m.get("method"), m.get("id")
    if id_ is None or method is None:
        continue
    if method == "initialize":
        send({"jsonrpc": "2.0", "id": id_, "result": {"protocolVersion": m["params"]["protocolVersion"],
              "capabilities": {"tools": {}}, "serverInfo": {"name": MODE, "version": "1"}}})
    elif method == "tools/list":
        tools = [{"name": t, "inputSchema": {"type": "object"}} for t in ["echo"] + TOOLS]
        send({"jsonrpc": "2.0", "id": id_, "result": {"tools": tools}})
    elif method == "ping":
        send({"jsonrpc": "2.0", "id": id_, "result": {}})
    elif method == "tools/call":
        name, args = m["params"]["name"], m["params"].get("arguments") or {}
        if name == "echo":
            send({"jsonrpc": "2.0", "id": id_, "result": {"content": [{"type": "text", "text": json.dumps(args, sort_keys=True)}]}})
        elif name == "hang":
            pass  # never answers; the loop goes on
        elif name in ("noisy", "only_garbage"):
            out.write(GARBAGE)
            out.flush()
            if name == "noisy":
                send({"jsonrpc": "2.0", "id": id_, "result": {"content": [{"type": "text", "text": "after the garbage"}]}})
        elif name == "crash":
            os._exit(3)
        elif name == "big":
            # One line of mb MiB of text, written in pieces so the server stays small.
            size = int(args["mb"] * (1 << 20))
            out.write(b'{"jsonrpc":"2.0","id":' + json.dumps(id_).encode() + b',"result":{"content":[{"type":"text","text":"')
            piece = b"0123456789abcdef" * 4096
            for _ in range(size // len(piece)):
                out.write(piece)
            out.write(b"z" * (size % len(piece)) + b'"}]}}\n')
            out.flush()
    else:
        send({"jsonrpc": "2.0", "id": id_, "error": {"code": -32601, "message": "no " + method}})
'''

HEALTHY = ["h0", "h1", "h2"]
HANG_TIMEOUT = 3.0
GARBAGE_TIMEOUT = 3.0
MIB = 1 << 20
# AttachDecoder.maximumLineLength (Sources/CapstanDocker/Transport/AttachDecoder.swift): the
# longest line the gateway reads from a stdio server; a longer one is refused, not buffered.
LINE_LIMIT = 64 * MIB
BIG_MIB = scale(8, 50)
# Generous: in a debug build the gateway reads a line in time quadratic in its length (see
# AttachDecoder: 50 MiB took 96-133 s, 8 MiB 4-10 s on a busy machine). The figure is recorded.
BIG_TIMEOUT = "300s"
# Over the limit: only in the full form (reaching the limit reads 64 MiB first).
TOO_BIG_MIB = 80 if FULL else 0
# A healthy call that waited on a bad one would take seconds (a 3 s timeout, a container
# restart); measured p99 is tens of milliseconds on a busy 2-core machine.
HEALTHY_P99_BOUND = 1.0
MANY_SERVERS = scale(100, 1000)
LOAD_CLIENTS = [f"load{i}" for i in range(4)]
POLICIES = {
    "watcher": [("h0", ["echo"], "allow")],
    "breaker": [(s, ["*"], "allow") for s in ("hang", "garbage", "crash", "big")],
    **{c: [(s, ["echo"], "allow") for s in HEALTHY] for c in LOAD_CLIENTS},
}


def raw_server(name: str, mode: str, timeout: str | None = None) -> str:
    return stdio_server_manifest(name, image=BASE_IMAGE, command=["python3", "-u", "-c", SERVER, mode], timeout=timeout)


class Env:
    def __init__(self, ws: Workspace, gateway: GatewayProcess, tokens: dict):
        self.ws, self.gateway, self.tokens = ws, gateway, tokens


@pytest.fixture(scope="module")
def env(tmp_path_factory, capstan_bin):
    root = tmp_path_factory.mktemp("reliability-gateway")
    ws = Workspace(root, capstan_bin)
    tokens = {name: new_token(name) for name in POLICIES}
    for name in HEALTHY:
        ws.write(f"servers/{name}.yaml", raw_server(name, "healthy"))
    ws.write("servers/hang.yaml", raw_server("hang", "hang", timeout=f"{HANG_TIMEOUT:g}s"))
    ws.write("servers/garbage.yaml", raw_server("garbage", "garbage", timeout=f"{GARBAGE_TIMEOUT:g}s"))
    ws.write("servers/crash.yaml", raw_server("crash", "crash"))
    ws.write("servers/big.yaml", raw_server("big", "big", timeout=BIG_TIMEOUT))
    for name, rules in POLICIES.items():
        ws.write(f"clients/{name}.yaml", client_manifest(name, tokens[name]))
        ws.write(f"policies/{name}.yaml", policy_manifest(f"{name}-tools", [name], rules))
    ws.commit("reliability: bad and healthy backends")
    gateway = GatewayProcess(capstan_bin, ws.state, root / "gateway.log")
    try:
        gateway.start()
        applied = ws.apply()
        assert applied.returncode == 0, applied.stdout + applied.stderr
        yield Env(ws, gateway, tokens)
    finally:
        gateway.stop()
        ws.cleanup()
        print(gateway.output()[-3000:])


# --- a lean client ---------------------------------------------------------------------------

class Lean:
    """One client session written out by hand over one keep-alive http.client connection."""

    def __init__(self, url: str, token: str, timeout: float = 60):
        u = urllib.parse.urlsplit(url)
        self.path = u.path
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream",
                        "Content-Type": "application/json"}
        self.next_id = 0
        status, answer, h = self.post({"method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "reliability", "version": "1"}}})
        assert status == 200 and "result" in answer, (status, answer)
        self.headers["Mcp-Session-Id"] = h["mcp-session-id"]
        self.headers["MCP-Protocol-Version"] = answer["result"]["protocolVersion"]
        status, _, _ = self.post({"method": "notifications/initialized"}, notification=True)
        assert status == 202, status

    def post(self, message: dict, notification: bool = False):
        body = {"jsonrpc": "2.0", **message}
        if not notification:
            self.next_id += 1
            body["id"] = self.next_id
        self.conn.request("POST", self.path, body=json.dumps(body), headers=self.headers)
        r = self.conn.getresponse()
        data = r.read()
        headers = {k.lower(): v for k, v in r.getheaders()}
        if notification or not data:
            return r.status, None, headers
        if headers.get("content-type", "").startswith("text/event-stream"):
            events = [json.loads(line[5:]) for line in data.decode().splitlines() if line.startswith("data:") and line[5:].strip()]
            data_answer = [e for e in events if "id" in e][-1]
            return r.status, data_answer, headers
        return r.status, json.loads(data), headers

    def call(self, name: str, arguments: dict) -> tuple[dict, float]:
        """(the JSON-RPC answer, seconds it took)."""
        started = time.perf_counter()
        status, answer, _ = self.post({"method": "tools/call", "params": {"name": name, "arguments": arguments}})
        elapsed = time.perf_counter() - started
        assert status == 200, (status, answer)
        assert answer["id"] == self.next_id, answer
        return answer, elapsed

    def close(self):
        try:
            self.conn.request("DELETE", self.path, headers=self.headers)
            self.conn.getresponse().read()
        finally:
            self.conn.close()


def text(answer: dict) -> str:
    assert "result" in answer, answer
    return "".join(c.get("text", "") for c in answer["result"]["content"])


def percentile(values: list, p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def rss_mib(pid: int, field: str = "VmRSS") -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise AssertionError(f"no {field} for {pid}")


def audit_rows_settled(ws, client: str, count: int, timeout: float = 30) -> list:
    """The client's audit rows once `count` are in the store (the writer is batched), and a
    moment later still exactly `count`."""
    eventually(lambda: len(audit_calls(ws, client)) >= count, timeout, interval=0.25)
    time.sleep(0.3)
    return audit_calls(ws, client)


def in_threads(*jobs):
    """Runs the jobs in threads; re-raises the first failure."""
    failures = []

    def guard(job):
        try:
            job()
        except BaseException as e:  # noqa: BLE001 (reported below)
            failures.append(e)

    threads = [threading.Thread(target=guard, args=(job,), daemon=True) for job in jobs]
    for t in threads:
        t.start()
    return threads, failures


# --- 1. bad backends -----------------------------------------------------------------------------

def test_bad_backends_fail_their_own_calls_clearly_and_never_hold_up_a_healthy_client(env, reliability):
    url, pid = env.gateway.url, env.gateway.proc.pid
    watcher = Lean(url, env.tokens["watcher"])
    for i in range(20):  # warm: the backend session, the tool list
        answer, _ = watcher.call("h0__echo", {"warm": i})
        assert "error" not in answer, answer
    baseline = [watcher.call("h0__echo", {"baseline": i})[1] for i in range(100)]
    rss_before = rss_mib(pid)

    done = threading.Event()
    peak = [rss_before]
    outcomes = {}  # label -> [(answer, seconds)], in the order made
    lock = threading.Lock()

    def note(label, answer, elapsed):
        with lock:
            outcomes.setdefault(label, []).append((answer, elapsed))

    def sample_memory():
        while not done.is_set():
            peak[0] = max(peak[0], rss_mib(pid))
            time.sleep(0.02)

    def session_calls(*calls):
        """A job: one breaker session making `calls` (label, tool, arguments) in order."""
        def job():
            s = Lean(url, env.tokens["breaker"], timeout=300)
            try:
                for label, tool, arguments in calls:
                    note(label, *s.call(tool, arguments))
            finally:
                s.close()
        return job

    healthy = []

    def watch():
        while not done.is_set():
            answer, elapsed = watcher.call("h0__echo", {"n": len(healthy)})
            assert "error" not in answer and json.loads(text(answer)) == {"n": len(healthy)}, answer
            healthy.append(elapsed)

    crash_started = container_started_at(env.ws.name("crash"))
    big_calls = [("big", "big__big", {"mb": BIG_MIB})]
    if TOO_BIG_MIB:
        big_calls.append(("too-big", "big__big", {"mb": TOO_BIG_MIB}))
    bad_jobs = [
        session_calls(("hang", "hang__hang", {"i": 0}), ("hang-then-echo", "hang__echo", {"after": "hang"})),
        session_calls(("hang", "hang__hang", {"i": 1})),
        session_calls(("hang", "hang__hang", {"i": 2})),
        session_calls(("noisy", "garbage__noisy", {"i": 0}), ("only-garbage", "garbage__only_garbage", {}),
                      ("noisy", "garbage__noisy", {"i": 1})),
        session_calls(*[("crash", "crash__crash", {"i": i}) for i in range(3)],
                      ("crash-then-echo", "crash__echo", {"after": "crash"})),
        session_calls(*big_calls, ("big-then-echo", "big__echo", {"after": "big"})),
    ]
    sampler, _ = in_threads(sample_memory)
    watchers, watch_failures = in_threads(watch)
    started = time.monotonic()
    bad_threads, bad_failures = in_threads(*bad_jobs)
    for t in bad_threads:
        t.join(900)
    wall = time.monotonic() - started
    done.set()
    for t in watchers + sampler:
        t.join(30)
    watcher.close()
    assert not bad_failures, bad_failures
    assert not watch_failures, watch_failures
    summary = {label: [(round(e, 2), a.get("error", {}).get("message", "ok")[:120]) for a, e in calls]
               for label, calls in outcomes.items()}
    print(json.dumps(summary, indent=1))

    def errors(label):
        """The error messages of the calls under `label`, each a JSON-RPC internal error."""
        messages = []
        for answer, _ in outcomes[label]:
            assert "error" in answer and "result" not in answer, (label, answer)
            assert answer["error"]["code"] == -32603, (label, answer)
            messages.append(answer["error"]["message"])
        return messages

    # The hung tool: each call ends at the server's 3 s timeout, which the error names; the
    # session survives and answers the next call at once.
    assert errors("hang") == [f"server hang did not answer within {HANG_TIMEOUT:g}.0 seconds"] * 3
    hang_seconds = [e for _, e in outcomes["hang"]]
    assert all(HANG_TIMEOUT - 0.1 <= e < HANG_TIMEOUT + 1.5 for e in hang_seconds), hang_seconds
    assert text(outcomes["hang-then-echo"][0][0]) == '{"after": "hang"}'

    # Garbage on stdout is skipped line by line: the answer after it gets through; without an
    # answer the call times out like any other.
    assert [text(a) for a, _ in outcomes["noisy"]] == ["after the garbage"] * 2
    assert errors("only-garbage") == [f"server garbage did not answer within {GARBAGE_TIMEOUT:g}.0 seconds"]

    # A server that exits on the call: the call fails as soon as the container stops, not at its
    # 60 s timeout; the next call starts the container again and reaches the server.
    for message in errors("crash"):
        assert message.startswith("server crash is unavailable: its container stopped or closed its output"), message
    crash_seconds = [e for _, e in outcomes["crash"]]
    assert all(e < 5 for e in crash_seconds), crash_seconds
    assert text(outcomes["crash-then-echo"][0][0]) == '{"after": "crash"}'
    assert container_started_at(env.ws.name("crash")) != crash_started

    # A big answer arrives whole; a line over the gateway's limit is refused with the limit
    # named, and the next call reconnects.
    (big_answer, big_seconds), = outcomes["big"]
    big_text = text(big_answer)
    assert len(big_text) == BIG_MIB * MIB and big_text.startswith("0123456789abcdef"), len(big_text)
    if TOO_BIG_MIB:
        (too_big,) = errors("too-big")
        assert too_big.startswith("server big is unavailable: ") and f"longer than {LINE_LIMIT} bytes" in too_big, too_big
    assert text(outcomes["big-then-echo"][0][0]) == '{"after": "big"}'

    # Memory: a big message is held a few times over while it passes through (the line, the
    # parsed value, the encoded body), and never more than the line limit allows.
    longest = max(BIG_MIB, LINE_LIMIT / MIB if TOO_BIG_MIB else 0)
    rss_peak = peak[0]
    assert rss_peak - rss_before < 64 + 5 * longest, (rss_before, rss_peak)
    # Afterwards the allocator keeps some of it (flat over repeated big calls: no leak).
    rss_after = rss_mib(pid)
    assert rss_after - rss_before < 64 + 2 * longest, (rss_before, rss_after)

    # The healthy client kept going: no error, and no call of its waited on the bad ones
    # (which take 3 s to time out, or restart a container).
    p50, p99 = percentile(healthy, 50), percentile(healthy, 99)
    print(f"healthy: {len(healthy)} calls in {wall:.1f}s, p50 {ms(p50)} ms, p99 {ms(p99)} ms, max {ms(max(healthy))} ms;"
          f" baseline p50 {ms(percentile(baseline, 50))} p99 {ms(percentile(baseline, 99))} ms;"
          f" RSS {rss_before:.1f} -> peak {rss_peak:.1f} -> {rss_after:.1f} MiB; big {big_seconds:.2f}s")
    assert len(healthy) >= 100, len(healthy)
    assert p99 < HEALTHY_P99_BOUND, f"healthy p99 {ms(p99)} ms"

    # The audit store: one row per call, with the outcome the caller saw.
    expected = {"hang": ("hang", "hang", "timeout"), "hang-then-echo": ("hang", "echo", "ok"),
                "noisy": ("garbage", "noisy", "ok"), "only-garbage": ("garbage", "only_garbage", "timeout"),
                "crash": ("crash", "crash", "unavailable"), "crash-then-echo": ("crash", "echo", "ok"),
                "big": ("big", "big", "ok"), "too-big": ("big", "big", "unavailable"), "big-then-echo": ("big", "echo", "ok")}
    made = sum(len(v) for v in outcomes.values())
    rows = audit_rows_settled(env.ws, "breaker", made)
    assert len(rows) == made, json.dumps(rows, indent=1)
    assert tally((r["server"], r["tool"], r["outcome"]) for r in rows) == tally(
        expected[label] for label, calls in outcomes.items() for _ in calls)
    timeouts = [r["durationMs"] for r in rows if r["outcome"] == "timeout"]
    assert all(HANG_TIMEOUT * 1000 - 100 <= d < HANG_TIMEOUT * 1000 + 1500 for d in timeouts), timeouts
    watched = 120 + len(healthy)
    watcher_rows = audit_rows_settled(env.ws, "watcher", watched)
    assert len(watcher_rows) == watched and {r["outcome"] for r in watcher_rows} == {"ok"}

    reliability(
        scenario="gateway: bad stdio backends next to a healthy one",
        injected=f"a tool that never answers (timeout 3s, 3 concurrent calls); stdout garbage (binary, half JSON, "
                 f"JSON that is not JSON-RPC, a stray answer, a 1 MiB line) with and without an answer; a server that "
                 f"exits on every call (3 calls); a {BIG_MIB} MiB answer"
                 + (f" and a {TOO_BIG_MIB} MiB one" if TOO_BIG_MIB else "") + "; a healthy client calling throughout",
        outcome="hung calls end at 3s with 'did not answer within 3.0 seconds' and the session goes on; garbage "
                "skipped, the answer after it delivered; a crashing call fails 'unavailable' as the container stops "
                f"and the next call restarts it; {BIG_MIB} MiB delivered whole"
                + (", the line over 64 MiB refused naming the limit" if TOO_BIG_MIB else "")
                + "; the healthy client never failed nor waited; one audit row per call with its outcome",
        bad_calls=made, audit_rows=len(rows), healthy_calls=len(healthy), healthy_errors=0,
        healthy_p50_ms=ms(p50), healthy_p99_ms=ms(p99), healthy_max_ms=ms(max(healthy)),
        baseline_p50_ms=ms(percentile(baseline, 50)), baseline_p99_ms=ms(percentile(baseline, 99)),
        hang_seconds=[round(e, 2) for e in hang_seconds], crash_seconds=[round(e, 2) for e in crash_seconds],
        big_mib=BIG_MIB, big_seconds=round(big_seconds, 2), rss_before_mib=round(rss_before, 1),
        rss_peak_mib=round(rss_peak, 1), rss_after_mib=round(rss_after, 1), wall_seconds=round(wall, 1))


def tally(items) -> dict:
    counts = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return counts


# --- 2. load -----------------------------------------------------------------------------------

def test_many_concurrent_clients_get_every_answer_and_every_call_is_audited_exactly_once(env, reliability):
    clients, calls_each = scale((40, 10), (200, 50))
    url = env.gateway.url
    before = {c: len(audit_calls(env.ws, c)) for c in LOAD_CLIENTS}
    sessions = []

    def open_session(i):
        sessions.append((i, Lean(url, env.tokens[LOAD_CLIENTS[i % len(LOAD_CLIENTS)]])))

    openers, open_failures = in_threads(*[lambda i=i: open_session(i) for i in range(clients)])
    for t in openers:
        t.join(60)
    assert not open_failures and len(sessions) == clients, open_failures

    go = threading.Barrier(clients + 1)
    latencies, wrong = [], []
    lock = threading.Lock()

    def client(i, s):
        mine, bad = [], []
        go.wait()
        for j in range(calls_each):
            arguments = {"client": i, "call": j}
            answer, elapsed = s.call(f"{HEALTHY[(i + j) % len(HEALTHY)]}__echo", arguments)
            if "error" in answer or json.loads(text(answer)) != arguments:
                bad.append(answer)
            mine.append(elapsed)
        with lock:
            latencies.extend(mine)
            wrong.extend(bad)

    callers, failures = in_threads(*[lambda i=i, s=s: client(i, s) for i, s in sessions])
    go.wait()
    started = time.monotonic()
    for t in callers:
        t.join(300)
    wall = time.monotonic() - started
    for _, s in sessions:
        s.close()
    assert not failures, failures[:3]
    made = clients * calls_each
    assert len(latencies) == made and not wrong, (len(latencies), wrong[:3])

    # Every call is in the store exactly once (the writer batches: wait for it to catch up).
    rows = {c: audit_rows_settled(env.ws, c, before[c] + made // len(LOAD_CLIENTS))[before[c]:] for c in LOAD_CLIENTS}
    recorded = sum(len(r) for r in rows.values())
    assert recorded == made, {c: len(r) for c, r in rows.items()}
    per_server = tally(r["server"] for rs in rows.values() for r in rs)
    assert per_server == tally(HEALTHY[(i + j) % len(HEALTHY)] for i in range(clients) for j in range(calls_each))
    assert {r["outcome"] for rs in rows.values() for r in rs} == {"ok"}

    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    print(f"load: {clients} clients x {calls_each} calls = {made} in {wall:.2f}s ({made / wall:.0f}/s), "
          f"p50 {ms(p50)} ms, p99 {ms(p99)} ms, rows {recorded}")
    reliability(
        scenario="gateway: load from concurrent clients",
        injected=f"{clients} concurrent sessions (4 client tokens) x {calls_each} tools/call each, spread over 3 "
                 "stdio backends; lean raw JSON-RPC clients (http.client, one keep-alive connection each) in threads",
        outcome="every call answered with its own arguments, none failed; the audit store holds exactly one row per call",
        clients=clients, calls_each=calls_each, calls_made=made, rows_recorded=recorded, errors=len(wrong),
        wall_seconds=round(wall, 2), calls_per_second=round(made / wall), p50_ms=ms(p50), p99_ms=ms(p99),
        per_server=per_server)


# --- 3. many servers in one repository --------------------------------------------------------------

def timed(run) -> tuple:
    started = time.monotonic()
    result = run()
    return result, time.monotonic() - started


def test_a_repository_of_many_servers_applies_and_plans_a_no_op_within_the_benchmarks(ws, reliability):
    count = MANY_SERVERS
    # As capstan-bench's engine benchmark: one file of Servers on the base image, network none,
    # a sleeper as the command (coreutils' sleep, the lightest process the image has).
    ws.write("servers.yaml", "---\n".join(server_manifest(f"s{i:04d}", command=["sleep", "1000000"])
                                          for i in range(count)))
    ws.commit(f"{count} servers")

    applied, apply_seconds = timed(ws.apply)
    assert applied.returncode == 0, applied.stdout[-3000:] + applied.stderr[-3000:]
    running = ws.containers()
    assert len(running) == count and {state for _, state in running.values()} == {"running"}, len(running)

    plans = []
    for _ in range(3):
        planned, seconds = timed(lambda: ws.plan("--detailed-exitcode"))
        assert planned.returncode == 0, planned.stdout[-2000:] + planned.stderr[-2000:]
        plans.append(seconds)
    plan_seconds = statistics.median(plans)
    again, noop_apply_seconds = timed(ws.apply)
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
    assert ws.containers() == running, "a no-op apply touches no container"

    # Removed the way Capstan removes them (prune, at apply's bounded concurrency), not with one
    # `docker rm -f` of every id: the docker CLI removes up to 50 at once, and with 1,000
    # containers that deadlocked Docker 20.10's libnetwork (the engine hung for good).
    ws.remove("servers.yaml")
    ws.commit("no servers")
    pruned, prune_seconds = timed(ws.apply)
    assert pruned.returncode == 0, pruned.stdout[-2000:] + pruned.stderr[-2000:]
    assert ws.containers() == {}, len(ws.containers())

    per_server_apply = apply_seconds / count
    print(f"{count} servers: apply {apply_seconds:.1f}s ({per_server_apply * 1000:.0f} ms/server), "
          f"no-op plan median {plan_seconds:.2f}s of {[round(p, 2) for p in plans]}, no-op apply {noop_apply_seconds:.2f}s, "
          f"prune {prune_seconds:.1f}s")
    # docs/benchmarks.md (release build, quiet machine): apply of 50 servers 7.35-9.73 s, i.e.
    # up to 195 ms per server (the engine dominates); no-op plan with 50 running 71-88 ms
    # (target under 300 ms); the pure planner 29 ms for 1,000. This is the debug build on a
    # machine shared with other work, so the bounds are generous multiples: 3x the
    # benchmark's apply per server, and for plan and no-op apply (observe = one list call to the
    # engine, then the pure planner) the 300 ms target plus 10 ms per server.
    assert per_server_apply < 3 * 0.195, f"{per_server_apply * 1000:.0f} ms per server"
    no_op_bound = 0.3 + 0.01 * count
    assert plan_seconds < no_op_bound, (plan_seconds, no_op_bound)
    assert noop_apply_seconds < no_op_bound, (noop_apply_seconds, no_op_bound)
    assert prune_seconds / count < 3 * 0.195, f"prune {prune_seconds:.1f}s"

    reliability(
        scenario=f"plan and apply: {count} servers in one repository",
        injected=f"{count} Server manifests (base image, network none, a sleeper) applied to an empty host",
        outcome=f"all {count} containers running; no-op plan exits 0 (no changes); a second apply changes nothing; "
                "emptying the repository prunes them all",
        servers=count, apply_seconds=round(apply_seconds, 1), apply_ms_per_server=round(per_server_apply * 1000),
        noop_plan_seconds_median=round(plan_seconds, 2), noop_plan_runs=[round(p, 2) for p in plans],
        noop_apply_seconds=round(noop_apply_seconds, 2), bound_noop_seconds=round(no_op_bound, 2),
        prune_seconds=round(prune_seconds, 1))
