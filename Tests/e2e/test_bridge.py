"""`capstan bridge` end to end: the stdio ⇄ Streamable HTTP bridge that apps which only start
local stdio servers (Claude Desktop) use to reach the gateway.

A real `capstan gateway` routes to the quickstart's textkit server and to slowkit (a tool that
sleeps and reports progress) in containers. The bridge is driven by the Python `mcp` SDK's
stdio client, as an app drives it, and by JSON-RPC lines written out by hand, where the test
must see every byte on stdout. The gateway is killed (SIGKILL) and started again on the same
port and state directory, which it reloads its routes from, in the middle of a session.
"""
import asyncio
import json
import os
import selectors
import subprocess
import time

import pytest

from conftest import Workspace
from gateway_support import (
    GatewayProcess, client_manifest, new_token, policy_manifest, run, stdio_server_manifest, text_of,
    tool_names, write_slowkit, write_textkit,
)

TEXTKIT_TOOLS = {"textkit__word_count", "textkit__slugify", "textkit__days_between"}
DESK_TOOLS = TEXTKIT_TOOLS | {"slow__sleep"}


class Env:
    def __init__(self, ws: Workspace, gateway: GatewayProcess, token: str, token_file):
        self.ws = ws
        self.gateway = gateway
        self.url = gateway.url
        self.token = token
        self.token_file = token_file

    def restart_gateway(self) -> float:
        """SIGKILL, then the same command again: same port, same state directory. Returns how
        long the gateway was away."""
        g = self.gateway
        killed = time.monotonic()
        g.proc.kill()
        g.proc.wait()
        g.log.close()
        g.start()
        return time.monotonic() - killed

    def kill_gateway(self):
        self.gateway.proc.kill()
        self.gateway.proc.wait()
        self.gateway.log.close()


@pytest.fixture(scope="module")
def env(tmp_path_factory, capstan_bin):
    root = tmp_path_factory.mktemp("bridge")
    ws = Workspace(root, capstan_bin)
    token = new_token("desk")
    write_textkit(ws)
    write_slowkit(ws)
    ws.write("servers/textkit.yaml", stdio_server_manifest("textkit", project="textkit"))
    ws.write("servers/slow.yaml", stdio_server_manifest("slow", project="slowkit"))
    ws.write("clients/desk.yaml", client_manifest("desk", token))
    ws.write("policies/desk.yaml", policy_manifest("desk-tools", ["desk"], [("textkit", ["*"], "allow"),
                                                                            ("slow", ["*"], "allow")]))
    ws.commit("bridge test repository")
    # As a user keeps it: a file with the token and a trailing newline.
    token_file = root / "desk.token"
    token_file.write_text(f"  {token}\n")
    token_file.chmod(0o600)
    e = Env(ws, GatewayProcess(capstan_bin, ws.state, root / "gateway.log"), token, token_file)
    try:
        e.gateway.start()
        applied = ws.apply()
        assert applied.returncode == 0, applied.stdout + applied.stderr
        assert "route.desk" in applied.stdout, applied.stdout
        yield e
    finally:
        e.gateway.stop()
        ws.cleanup()
        print(e.gateway.output()[-4000:])


def bridge_args(env, *extra, token_file=None) -> list:
    return ["bridge", "--url", env.url, "--token-file", str(token_file or env.token_file), *extra]


# --- the mcp SDK's stdio client, as an app ---------------------------------------------------

def test_sdk_stdio_client_lists_and_calls_and_the_next_call_after_a_gateway_restart_works(env, capstan_bin, tmp_path):
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    errlog_path = tmp_path / "bridge.stderr"
    params = StdioServerParameters(command=capstan_bin, args=bridge_args(env))

    async def scenario():
        with open(errlog_path, "w") as errlog:
            async with stdio_client(params, errlog=errlog) as (read, write):
                async with ClientSession(read, write) as s:
                    init = await s.initialize()
                    assert init.protocolVersion == "2025-11-25"
                    assert init.serverInfo.name and init.capabilities.tools and init.capabilities.tools.listChanged
                    assert tool_names(await s.list_tools()) == DESK_TOOLS
                    counted = await s.call_tool("textkit__word_count", {"text": "one two\nthree"})
                    assert not counted.isError, counted
                    assert counted.structuredContent == {"characters": 13, "words": 3, "lines": 2}

                    away = await asyncio.to_thread(env.restart_gateway)
                    print(f"the gateway was away for {away:.2f}s")

                    started = time.monotonic()
                    slug = await s.call_tool("textkit__slugify", {"text": "After The Restart"})
                    print(f"the first call after the restart took {time.monotonic() - started:.2f}s")
                    assert not slug.isError and text_of(slug) == "after-the-restart", slug
                    assert tool_names(await s.list_tools()) == DESK_TOOLS
                    again = await s.call_tool("textkit__word_count", {"text": "still here"})
                    assert again.structuredContent["words"] == 2, again

                    # A call made while the gateway is down waits for it (within --retry-time)
                    # and goes out again once it is back.
                    await asyncio.to_thread(env.kill_gateway)
                    waiting = asyncio.create_task(s.call_tool("textkit__word_count", {"text": "made while it was down"}))
                    await asyncio.sleep(1)
                    assert not waiting.done()
                    await asyncio.to_thread(env.gateway.start)
                    late = await asyncio.wait_for(waiting, 15)
                    assert late.structuredContent["words"] == 5, late

    run(scenario(), timeout=180)
    stderr = errlog_path.read_text()
    print(stderr)
    assert env.token not in stderr
    assert "connected to" in stderr
    assert "opened a new session" in stderr, stderr


def test_sdk_client_with_a_wrong_token_gets_a_json_rpc_error_that_says_so(env, capstan_bin, tmp_path):
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client
    from mcp.shared.exceptions import McpError

    wrong = "wrong-" + env.token[::-1]
    wrong_file = tmp_path / "wrong.token"
    wrong_file.write_text(wrong + "\n")
    errlog_path = tmp_path / "bridge.stderr"
    params = StdioServerParameters(command=capstan_bin, args=bridge_args(env, token_file=wrong_file))

    async def scenario():
        with open(errlog_path, "w") as errlog:
            async with stdio_client(params, errlog=errlog) as (read, write):
                async with ClientSession(read, write) as s:
                    with pytest.raises(McpError) as refused:
                        await asyncio.wait_for(s.initialize(), 15)
                    return refused.value.error

    error = run(scenario())
    print(error)
    assert error.code == -32000
    assert "refused the bridge's token" in error.message and "401" in error.message
    assert error.data == {"reason": "token-refused", "httpStatus": 401}
    assert wrong not in error.message and wrong not in json.dumps(error.data)
    stderr = errlog_path.read_text()
    assert wrong not in stderr and "401" in stderr, stderr


# --- JSON-RPC lines by hand, every byte of stdout seen ------------------------------------------

class RawBridge:
    """`capstan bridge` with pipes: lines in, every line out kept."""

    def __init__(self, capstan_bin, args, env=None):
        self.proc = subprocess.Popen([capstan_bin, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env)
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.proc.stdout, selectors.EVENT_READ)
        self.buffer = b""
        self.lines = []       # every stdout line, raw
        self.pending = []     # parsed messages not yet taken by `answer`

    def send(self, message: dict):
        self.proc.stdin.write((json.dumps(message) + "\n").encode())
        self.proc.stdin.flush()

    def request(self, id_, method, params=None):
        message = {"jsonrpc": "2.0", "id": id_, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)

    def _read_some(self, until: float) -> bool:
        if not self.sel.select(max(0.0, until - time.monotonic())):
            return False
        chunk = os.read(self.proc.stdout.fileno(), 65536)
        if not chunk:
            raise AssertionError(f"the bridge ended its stdout (exit {self.proc.wait()}): {self.stderr()}")
        self.buffer += chunk
        while b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            self.lines.append(line)
            self.pending.append(json.loads(line))
        return True

    def answer(self, id_, timeout: float = 30) -> dict:
        """The answer to request `id_`; what arrived before it stays in `pending`."""
        until = time.monotonic() + timeout
        while True:
            for m in self.pending:
                if m.get("id") == id_ and ("result" in m or "error" in m):
                    self.pending.remove(m)
                    return m
            if time.monotonic() >= until or not self._read_some(until):
                raise AssertionError(f"no answer to {id_!r} within {timeout}s; got {self.pending}")

    def close(self, timeout: float = 10) -> int:
        """Closes stdin, as apps do to stop a stdio server; returns the exit status."""
        self.proc.stdin.close()
        until = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < until:
            try:
                self._read_some(min(until, time.monotonic() + 0.2))
            except AssertionError:
                break
        code = self.proc.wait(timeout=max(0.1, until - time.monotonic()))
        rest = self.proc.stdout.read()
        if rest:
            self.buffer += rest
            for line in self.buffer.split(b"\n"):
                if line:
                    self.lines.append(line)
        return code

    def stderr(self) -> str:
        return self.proc.stderr.read().decode(errors="replace") if self.proc.poll() is not None else ""

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


INITIALIZE = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "by-hand", "version": "1"}}


def assert_only_jsonrpc(lines: list):
    for line in lines:
        message = json.loads(line)
        assert message.get("jsonrpc") == "2.0", line
        assert ("id" in message and ("result" in message or "error" in message)) or "method" in message, line


def test_stdout_carries_only_json_rpc_and_initialize_is_answered_once_across_a_restart(env, capstan_bin):
    """The token from an environment variable; a restart between two calls; the app's own
    initialize answered exactly once though the bridge sends it twice."""
    environment = dict(os.environ, DESK_TOKEN=env.token)
    b = RawBridge(capstan_bin, ["bridge", "--url", env.url, "--token-env", "DESK_TOKEN"], env=environment)
    try:
        b.request("init-1", "initialize", INITIALIZE)
        init = b.answer("init-1")
        assert init["result"]["protocolVersion"] == "2025-06-18", init
        b.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        b.request(1, "tools/list")
        assert {t["name"] for t in b.answer(1)["result"]["tools"]} == DESK_TOOLS

        env.restart_gateway()
        b.request(2, "tools/call", {"name": "textkit__word_count", "arguments": {"text": "a b c"}})
        called = b.answer(2)
        assert called["result"]["structuredContent"]["words"] == 3, called
        b.request("3", "ping")
        assert b.answer("3") == {"jsonrpc": "2.0", "id": "3", "result": {}}
        code = b.close()
        stderr = b.stderr()
        assert code == 0, stderr
    finally:
        b.kill()
    print(stderr)
    assert_only_jsonrpc(b.lines)
    messages = [json.loads(line) for line in b.lines]
    assert [m for m in messages if m.get("id") == "init-1"] == [init], "one initialize answer, however many sessions"
    # After a new session the app is told to list again (its view may have changed).
    assert {"jsonrpc": "2.0", "method": "notifications/tools/list_changed"} in messages, messages
    assert env.token not in stderr


def test_while_the_gateway_is_down_a_call_fails_in_bounded_time_and_works_once_it_is_back(env, capstan_bin):
    b = RawBridge(capstan_bin, bridge_args(env, "--retry-time", "2"))
    try:
        b.request(0, "initialize", INITIALIZE)
        b.answer(0)
        b.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        env.kill_gateway()
        started = time.monotonic()
        b.request(1, "tools/call", {"name": "textkit__word_count", "arguments": {"text": "nobody home"}})
        failed = b.answer(1, timeout=15)
        elapsed = time.monotonic() - started
        print(f"the call failed after {elapsed:.2f}s: {failed}")
        assert failed["error"]["code"] == -32000 and "not reachable" in failed["error"]["message"], failed
        assert failed["error"]["data"] == {"reason": "gateway-unreachable"}
        assert 1.5 <= elapsed < 5, elapsed

        env.gateway.start()
        b.request(2, "tools/call", {"name": "textkit__word_count", "arguments": {"text": "somebody home"}})
        assert b.answer(2)["result"]["structuredContent"]["words"] == 2
        assert b.close() == 0
    finally:
        b.kill()
        if env.gateway.proc.poll() is not None:
            env.gateway.start()
    assert_only_jsonrpc(b.lines)


def test_a_slow_call_does_not_hold_up_the_next_and_its_progress_comes_first(env, capstan_bin):
    b = RawBridge(capstan_bin, bridge_args(env))
    try:
        b.request(0, "initialize", INITIALIZE)
        b.answer(0)
        b.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        started = time.monotonic()
        b.request("slow", "tools/call", {"name": "slow__sleep", "arguments": {"seconds": 3, "steps": 3},
                                         "_meta": {"progressToken": "p-1"}})
        b.request("quick", "tools/call", {"name": "textkit__slugify", "arguments": {"text": "Not Waiting"}})
        quick = b.answer("quick")
        quick_at = time.monotonic() - started
        assert quick["result"]["content"][0]["text"] == "not-waiting", quick
        slow = b.answer("slow")
        slow_at = time.monotonic() - started
        print(f"quick answered after {quick_at:.2f}s, slow after {slow_at:.2f}s")
        assert quick_at < 2.5 < slow_at, (quick_at, slow_at)
        assert slow["result"]["content"][0]["text"] == "slept 3.0", slow
        progress = [m["params"] for m in b.pending if m.get("method") == "notifications/progress"]
        assert [p["progressToken"] for p in progress] == ["p-1"] * 3, b.pending
        assert [p["progress"] for p in progress] == [0, 1, 2], progress
        order = [m["id"] if "id" in m else m["method"] for m in map(json.loads, b.lines)]
        assert order.index("slow") > max(i for i, x in enumerate(order) if x == "notifications/progress"), order
        assert b.close() == 0
    finally:
        b.kill()
    assert_only_jsonrpc(b.lines)


def test_lines_that_are_not_json_rpc_get_errors_on_stdout_and_usage_errors_go_to_stderr(env, capstan_bin):
    b = RawBridge(capstan_bin, bridge_args(env))
    try:
        b.proc.stdin.write(b"this is not json\n")
        b.proc.stdin.flush()
        b.send({"jsonrpc": "2.0", "id": 5})
        b.request(0, "initialize", INITIALIZE)
        assert b.answer(0)["result"]["serverInfo"]
        assert b.close() == 0
    finally:
        b.kill()
    assert_only_jsonrpc(b.lines)
    errors = [json.loads(line)["error"] for line in b.lines if "error" in json.loads(line)]
    assert [e["code"] for e in errors] == [-32700, -32600], errors

    for args in (["bridge", "--url", env.url],
                 ["bridge", "--url", "http://192.0.2.1:8750/mcp", "--token-file", str(env.token_file)]):
        r = subprocess.run([capstan_bin, *args], input=b"", capture_output=True, timeout=10)
        assert r.returncode != 0 and r.stdout == b"", (args, r)
        assert r.stderr, args
