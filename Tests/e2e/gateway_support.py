"""Helpers for the gateway's end-to-end tests: a `capstan gateway` process, the manifests of the
test repository, MCP clients (the mcp 1.30 SDK in-process, raw JSON-RPC over httpx, and the mcp
2.3.0 SDK as a subprocess), and the audit store as the CLI shows it."""
import asyncio
import hashlib
import json
import pathlib
import secrets
import socket
import subprocess
import time
from contextlib import asynccontextmanager

import httpx

from conftest import BASE_IMAGE, REPO, eventually, free_port, sh, stop_process  # noqa: F401 (re-exported to the tests)

TEXTKIT = REPO / "examples" / "quickstart" / "projects" / "textkit"
MCP2_PYTHON = REPO / ".venv-mcp2" / "bin" / "python"
MCP2_CLIENT = pathlib.Path(__file__).with_name("mcp2_client.py")

JSON_AND_SSE = "application/json, text/event-stream"

# A stdio MCP server whose tool takes as long as it is told to and reports progress while it
# waits: the slow calls of the kill, timeout and progress tests. mcp (1.30) is in the base image.
SLOWKIT_SERVER = '''\
"""slowkit: one tool that sleeps, reporting progress (for Capstan's gateway tests)."""
import anyio
from mcp.server.fastmcp import Context, FastMCP

mcp = FastMCP("slowkit")


@mcp.tool()
async def sleep(seconds: float, ctx: Context, steps: int = 4) -> str:
    """Sleep for `seconds`, reporting progress `steps` times along the way (from 0)."""
    for step in range(steps):
        await ctx.report_progress(step, steps, f"step {step} of {steps}")
        await anyio.sleep(seconds / steps)
    return f"slept {seconds}"


if __name__ == "__main__":
    mcp.run()
'''
SLOWKIT_DOCKERFILE = """\
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HOME=/tmp
COPY server.py /app/server.py
CMD ["python3", "/app/server.py"]
"""


def token_hash(token: str) -> str:
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()


def new_token(name: str) -> str:
    return f"{name}-{secrets.token_hex(16)}"


def arguments_sha256(arguments: dict) -> str:
    """What the audit store keeps of a call's arguments: SHA-256 of their canonical JSON."""
    return hashlib.sha256(json.dumps(arguments, sort_keys=True, separators=(",", ":"),
                                     ensure_ascii=False).encode()).hexdigest()


# --- manifests ---------------------------------------------------------------------------

def client_manifest(name: str, token: str) -> str:
    return (f"apiVersion: capstan/v1\nkind: Client\nmetadata: {{name: {name}}}\n"
            f"spec: {{app: generic, tokenHash: {token_hash(token)}}}\n")


def policy_manifest(name: str, clients: list, rules: list) -> str:
    """rules: (server, [tool patterns], effect)."""
    lines = ["apiVersion: capstan/v1", "kind: Policy", f"metadata: {{name: {name}}}", "spec:",
             f"  clients: {json.dumps(clients)}", "  rules:"]
    for server, tools, effect in rules:
        lines.append(f"    - {{server: {server}, tools: {json.dumps(tools)}, effect: {effect}}}")
    return "\n".join(lines) + "\n"


def stdio_server_manifest(name: str, *, project: str | None = None, image: str | None = None,
                          command=None, timeout: str | None = None) -> str:
    lines = ["apiVersion: capstan/v1", "kind: Server", f"metadata: {{name: {name}}}", "spec:"]
    lines.append(f"  project: {project}" if project else f"  image: {image}")
    lines.append("  transport: stdio")
    if command:
        lines.append(f"  command: {json.dumps(command)}")
    if timeout:
        lines.append(f"  timeout: {timeout}")
    return "\n".join(lines) + "\n"


def time_server_manifest(name: str = "time") -> str:
    """The reference `mcp-server-time` from PyPI, preinstalled in the base image."""
    return stdio_server_manifest(name, image=BASE_IMAGE,
                                 command=["python3", "-m", "mcp_server_time", "--local-timezone", "UTC"])


def write_textkit(ws, project: str = "textkit") -> None:
    """The quickstart's textkit project, file for file (so its image is built once and shared)."""
    for f in sorted(TEXTKIT.iterdir()):
        if f.is_file() and f.name != "test_server.py":
            ws.write(f"projects/{project}/{f.name}", f.read_text())
    ws.write(f"{project}.project.yaml", f"apiVersion: capstan/v1\nkind: Project\nmetadata: {{name: {project}}}\n"
                                        f"spec: {{context: projects/{project}}}\n")


def write_slowkit(ws, project: str = "slowkit") -> None:
    ws.write(f"projects/{project}/server.py", SLOWKIT_SERVER)
    ws.write(f"projects/{project}/Dockerfile", SLOWKIT_DOCKERFILE)
    ws.write(f"{project}.project.yaml", f"apiVersion: capstan/v1\nkind: Project\nmetadata: {{name: {project}}}\n"
                                        f"spec: {{context: projects/{project}}}\n")


# --- the gateway process -----------------------------------------------------------------

def unix_socket_answers(path: pathlib.Path) -> bool:
    with socket.socket(socket.AF_UNIX) as s:
        try:
            s.connect(str(path))
            return True
        except OSError:
            return False


class GatewayProcess:
    """`capstan gateway` on a free loopback port, with its admin socket in the state directory."""

    def __init__(self, capstan: str, state: pathlib.Path, log: pathlib.Path):
        self.port = free_port()
        self.state = state
        self.url = f"http://127.0.0.1:{self.port}/mcp"
        self.admin_socket = state / "gateway.sock"
        self.log_path = log
        self.args = [capstan, "gateway", "--listen", f"127.0.0.1:{self.port}", "--state-dir", str(state)]
        self.proc = None

    def start(self):
        self.state.mkdir(parents=True, exist_ok=True)
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT)
        eventually(lambda: self.proc.poll() is not None or (self.healthy() and unix_socket_answers(self.admin_socket)), 30)
        assert self.proc.poll() is None, f"capstan gateway exited {self.proc.returncode}:\n{self.output()}"
        return self

    def healthy(self) -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, grace: float = 5):
        """SIGINT, then SIGKILL after `grace` seconds (see test_gateway_stops_promptly_...)."""
        if self.proc:
            stop_process(self.proc, grace=grace)
            self.log.close()

    def admin(self) -> httpx.Client:
        return httpx.Client(transport=httpx.HTTPTransport(uds=str(self.admin_socket)), base_url="http://gateway", timeout=10)

    def routes(self) -> tuple[dict, str]:
        """GET /admin/routes over the unix socket: (body, ETag)."""
        with self.admin() as c:
            r = c.get("/admin/routes")
            assert r.status_code == 200, r.text
            return r.json(), r.headers.get("etag", "")

    def put_routes(self, table: dict, if_match: str) -> httpx.Response:
        with self.admin() as c:
            return c.put("/admin/routes", json=table, headers={"If-Match": if_match})


# --- the mcp 1.30 SDK ----------------------------------------------------------------------

@asynccontextmanager
async def sdk_session(url: str, token: str | None, message_handler=None):
    """An initialized mcp 1.30 ClientSession through `streamablehttp_client`, as clients connect."""
    from mcp import ClientSession
    from mcp.client.streamable_http import streamablehttp_client

    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with streamablehttp_client(url, headers=headers) as (read, write, _session_id):
        async with ClientSession(read, write, message_handler=message_handler) as session:
            init = await session.initialize()
            yield session, init


def run(coro, timeout: float = 120):
    async def bounded():
        return await asyncio.wait_for(coro, timeout)
    return asyncio.run(bounded())


def tool_names(result) -> set:
    return {t.name for t in result.tools}


def text_of(result) -> str:
    return "".join(c.text for c in result.content if getattr(c, "type", "") == "text")


# --- raw JSON-RPC over httpx -----------------------------------------------------------------

def parse_answer(response: httpx.Response):
    """The JSON-RPC payload of a response: a JSON body, or the `message` events of an SSE body
    (the last one that is a response, plus what came before it)."""
    ctype = response.headers.get("content-type", "")
    if ctype.startswith("application/json"):
        return response.json()
    if ctype.startswith("text/event-stream"):
        messages = []
        for block in response.text.replace("\r\n", "\n").split("\n\n"):
            data = [line[5:].lstrip() for line in block.split("\n") if line.startswith("data:")]
            if data and "".join(data).strip():
                messages.append(json.loads("\n".join(data)))
        answers = [m for m in messages if "id" in m and ("result" in m or "error" in m)]
        assert len(answers) == 1, messages
        return answers[0]
    raise AssertionError(f"unexpected content type {ctype!r}: {response.status_code} {response.text!r}")


class RawSession:
    """A session-era client written out by hand: initialize, initialized, then POSTs with the
    session and version headers, so the test controls every byte (revision, batches, ids)."""

    def __init__(self, url: str, token: str, revision: str):
        self.url = url
        self.revision = revision
        self.http = httpx.Client(timeout=30, headers={"Authorization": f"Bearer {token}", "Accept": JSON_AND_SSE,
                                                      "Content-Type": "application/json"})
        self.session_id = None
        self.negotiated = None

    def __enter__(self):
        r = self.http.post(self.url, json={"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": self.revision, "capabilities": {},
            "clientInfo": {"name": "capstan-e2e", "version": "1"}}})
        assert r.status_code == 200, (r.status_code, r.text)
        self.session_id = r.headers.get("mcp-session-id")
        self.negotiated = parse_answer(r)["result"]["protocolVersion"]
        r = self.post({"jsonrpc": "2.0", "method": "notifications/initialized"})
        assert r.status_code == 202, (r.status_code, r.text)
        return self

    def headers(self) -> dict:
        h = {"MCP-Protocol-Version": self.negotiated}
        if self.session_id:
            h["Mcp-Session-Id"] = self.session_id
        return h

    def post(self, body, **kw) -> httpx.Response:
        return self.http.post(self.url, content=json.dumps(body), headers=self.headers(), **kw)

    def request(self, id_, method, params=None) -> dict:
        body = {"jsonrpc": "2.0", "id": id_, "method": method}
        if params is not None:
            body["params"] = params
        r = self.post(body)
        assert r.status_code == 200, (r.status_code, r.text)
        return parse_answer(r)

    def __exit__(self, *exc):
        if self.session_id:
            self.http.delete(self.url, headers=self.headers())
        self.http.close()


MODERN = "2026-07-28"


def modern_meta() -> dict:
    return {"io.modelcontextprotocol/protocolVersion": MODERN,
            "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/clientInfo": {"name": "capstan-e2e", "version": "1"}}


def modern_post(url: str, token: str, method: str, params: dict | None = None, *, id_=1,
                headers: dict | None = None) -> httpx.Response:
    """One 2026-07-28 request with the headers a conforming client sends, overridable."""
    body_params = dict(params or {})
    body_params["_meta"] = modern_meta()
    h = {"Authorization": f"Bearer {token}", "Accept": JSON_AND_SSE, "Content-Type": "application/json",
         "MCP-Protocol-Version": MODERN, "Mcp-Method": method}
    if method == "tools/call":
        h["Mcp-Name"] = body_params["name"]
    for k, v in (headers or {}).items():
        if v is None:
            h.pop(k, None)
        else:
            h[k] = v
    return httpx.post(url, content=json.dumps({"jsonrpc": "2.0", "id": id_, "method": method, "params": body_params}),
                      headers=h, timeout=30)


# --- the mcp 2.3.0 SDK, as a subprocess ------------------------------------------------------

def mcp2(url: str, token: str, ops: list, *, mode: str = MODERN, timeout: float = 60) -> list:
    """Runs `ops` through mcp 2.3.0's Client (see mcp2_client.py); one JSON answer per op."""
    assert MCP2_PYTHON.exists(), "run scripts/install-deps.sh: it creates .venv-mcp2"
    program = json.dumps({"url": url, "token": token, "mode": mode, "ops": ops})
    r = subprocess.run([str(MCP2_PYTHON), str(MCP2_CLIENT)], input=program, capture_output=True, text=True,
                       timeout=timeout)
    assert r.returncode == 0, f"mcp2_client exited {r.returncode}\n{r.stdout}\n{r.stderr}"
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


class Mcp2Listener:
    """mcp2_client.py in `listen` mode, in the background: it prints `acked` once the gateway
    acknowledged `subscriptions/listen`, then one line per change event with the tool names it
    then lists."""

    def __init__(self, url: str, token: str, events: int = 1, wait: float = 60):
        program = json.dumps({"url": url, "token": token, "mode": MODERN,
                              "ops": [{"op": "listen", "events": events, "wait": wait}]})
        self.proc = subprocess.Popen([str(MCP2_PYTHON), str(MCP2_CLIENT)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.proc.stdin.write(program)
        self.proc.stdin.close()

    def next_line(self, timeout: float) -> dict:
        import selectors
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout):
            raise AssertionError(f"mcp2 listener said nothing within {timeout}s")
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError(f"mcp2 listener ended: {self.proc.wait()} {self.proc.stderr.read()}")
        return json.loads(line)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


# --- the audit store -----------------------------------------------------------------------------

def audit_calls(ws, client: str | None = None) -> list:
    """`capstan audit calls -o json`, oldest first, for one client or all."""
    r = ws.run("audit", "calls", "--state-dir", ws.state, "-o", "json", *(["--client", client] if client else []))
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout)


def wait_for_audit_rows(ws, client: str, count: int, timeout: float = 10) -> list:
    """The rows of `client` once there are `count` of them (the gateway writes them
    asynchronously), after a moment more to be sure that no extra row follows."""
    eventually(lambda: len(audit_calls(ws, client)) >= count, timeout)
    time.sleep(0.3)
    rows = audit_calls(ws, client)
    assert len(rows) == count, json.dumps(rows, indent=1)
    return rows


def container_started_at(name: str) -> str:
    return sh("docker", "inspect", "--format", "{{.State.StartedAt}} {{.State.Running}}", name).stdout.strip()
