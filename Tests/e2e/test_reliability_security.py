"""Security under hostile use (issue 7, part 4): canary secrets and tokens never leak into any
output; hostile repositories are refused quickly with a position and bounded memory; the doors
(webhook, manual sync, gateway admin, the MCP endpoint) refuse what they must; every container
is hardened and a manifest cannot ask for privileges.

One controller (with its embedded gateway and dashboard) serves the door and canary tests: a
stdio server whose container copies every message the gateway forwards to /tmp/forwarded.jsonl,
so "never forwarded" is read from the server's side. The canary test runs after the door tests
and also searches what they left behind (logs, audit store, dashboard).
"""
import hashlib
import hmac
import http.client
import json
import os
import pathlib
import secrets
import subprocess
import sys
import tempfile
import time
import uuid

import httpx
import pytest

from conftest import BASE_IMAGE, Workspace, eventually, free_port, project_manifest, scale, server_manifest, sh, stop_process
from gateway_support import (JSON_AND_SSE, GatewayProcess, RawSession, audit_calls, client_manifest, modern_post,
                             policy_manifest, token_hash)
from test_controller import Controller
from test_dashboard import gateway_url

pytestmark = pytest.mark.filterwarnings("ignore:Use `streamable_http_client` instead:DeprecationWarning")

# The reference time server, with every line the gateway writes to its stdin kept in /tmp (the
# only writable place of a hardened container) for the test to read back.
CLOCK_COMMAND = ["sh", "-c", "tee -a /tmp/forwarded.jsonl | python3 -m mcp_server_time --local-timezone UTC"]
PAGES = ["/", "/servers", "/access", "/history", "/calls", "/login",
         "/api/v1/overview", "/api/v1/servers", "/api/v1/access", "/api/v1/history", "/api/v1/calls"]


def canary(kind: str) -> str:
    return f"canary-{kind}-{secrets.token_hex(20)}"


def wrong(value: str) -> str:
    """The same value with its last character changed: a wrong credential that still carries the
    canary's distinctive middle, so echoing what was presented would be caught."""
    return value[:-1] + ("0" if value[-1] != "0" else "1")


class Canaries:
    def __init__(self):
        self.values = {"secret": canary("secret"), "client token": canary("client"),
                       "admin token": canary("admin"), "webhook secret": canary("webhook")}

    def needles(self):
        """(name, bytes): each canary whole and a distinctive 16-character piece of its middle."""
        for name, value in self.values.items():
            yield name, value.encode()
            yield name + " (16-char piece)", value[-24:-8].encode()

    def found_in(self, outputs) -> list:
        """[(canary, where)] for every canary found in [(where, str | bytes)]."""
        found = []
        for where, data in outputs:
            blob = data if isinstance(data, bytes) else data.encode(errors="replace")
            found += [(name, where) for name, needle in self.needles() if needle in blob]
        return found


# Linux records the old address space's high-water mark when a process execs, so a child's
# wait4 peak RSS is never below its parent's size at spawn time: measured straight from pytest it
# reports pytest (over 200 MB in the full run), not Capstan. A small Python process in between
# spawns the command, waits for it and reports the command's own figures on a pipe.
_MEASURE = """
import os, sys, time
report, timeout, args = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3:]
started = time.monotonic()
pid = os.posix_spawnp(args[0], args, os.environ)
while True:
    done, status, usage = os.wait4(pid, os.WNOHANG)
    if done:
        break
    if time.monotonic() - started > timeout:
        os.kill(pid, 9)
        done, status, usage = os.wait4(pid, 0)
        break
    time.sleep(0.005)
os.write(report, f"{os.waitstatus_to_exitcode(status)} {time.monotonic() - started} {usage.ru_maxrss}".encode())
"""


def measured(args, timeout: float, env=None) -> dict:
    """Runs a command; exit code, output, wall seconds and its own peak RSS."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        report_r, report_w = os.pipe()
        proc = subprocess.Popen([sys.executable, "-c", _MEASURE, str(report_w), str(timeout), *[str(a) for a in args]],
                                stdout=out, stderr=err, env=env, pass_fds=(report_w,))
        os.close(report_w)
        with os.fdopen(report_r) as report:
            rc, seconds, rss_kb = report.read().split()
        proc.wait()
        out.seek(0)
        err.seek(0)
        return {"rc": int(rc), "out": out.read().decode(errors="replace"), "err": err.read().decode(errors="replace"),
                "seconds": float(seconds), "rss_mb": int(rss_kb) / 1024, "timed_out": float(seconds) > timeout}


def post(port: int, path: str, body: bytes = b"", headers: dict | None = None, chunked: bool = False):
    """(status, headers, body, seconds) of one POST to 127.0.0.1:port."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    started = time.monotonic()
    try:
        if chunked:
            conn.request("POST", path, body=iter([body[i:i + 65536] for i in range(0, len(body), 65536)]),
                         headers=headers or {}, encode_chunked=True)
        else:
            conn.request("POST", path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read().decode(errors="replace")
        return r.status, dict(r.getheaders()), data, time.monotonic() - started
    except (BrokenPipeError, ConnectionResetError):
        # The server may answer 413 and close before the whole body is sent.
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read().decode(errors="replace"), time.monotonic() - started
    finally:
        conn.close()


def get(port: int, path: str, headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        conn.request("GET", path, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read().decode(errors="replace")
    finally:
        conn.close()


def inspect(name: str) -> dict:
    return json.loads(sh("docker", "inspect", name).stdout)[0]


def assert_hardened(name: str, user: str = "") -> dict:
    """The hardening defaults of README "Hardened by default", as the engine reports them, and as
    the process inside lives them. `user` is the manifest's `hardening.user` ("" = the image's)."""
    info = inspect(name)
    hc, config = info["HostConfig"], info["Config"]
    assert hc["Privileged"] is False, name
    assert hc["ReadonlyRootfs"] is True, name
    assert hc["CapDrop"] == ["ALL"] and not hc["CapAdd"], (name, hc["CapDrop"], hc["CapAdd"])
    assert "no-new-privileges:true" in (hc["SecurityOpt"] or []), (name, hc["SecurityOpt"])
    assert hc["NetworkMode"] == "none", (name, hc["NetworkMode"])
    assert hc["PidMode"] in ("", "private"), (name, hc["PidMode"])
    assert hc["IpcMode"] not in ("host",) and not hc["IpcMode"].startswith("container:"), (name, hc["IpcMode"])
    assert hc["UsernsMode"] != "host" and hc["UTSMode"] != "host", name
    assert not hc["Binds"] and not hc["Devices"] and not info["Mounts"], (name, hc["Binds"], hc["Devices"], info["Mounts"])
    assert hc["PidsLimit"] == 128 and hc["Memory"] == 256 * 1024 * 1024, (name, hc["PidsLimit"], hc["Memory"])
    assert hc["Tmpfs"] == {"/tmp": "rw,noexec,nosuid,nodev,size=64m"}, (name, hc["Tmpfs"])
    assert config["User"] == user, (name, config["User"])
    # What the process gets: no capabilities, no way to gain privileges, a root it cannot write.
    status = sh("docker", "exec", name, "cat", "/proc/1/status").stdout
    fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
    assert fields["NoNewPrivs"].strip() == "1", (name, fields["NoNewPrivs"])
    assert int(fields["CapEff"], 16) == 0 and int(fields["CapBnd"], 16) == 0, (name, fields["CapEff"], fields["CapBnd"])
    assert sh("docker", "exec", name, "touch", "/etc/capstan-probe", check=False).returncode != 0, f"{name}: root is writable"
    return info


# --- the shared controller -------------------------------------------------------------------------

class Fort:
    """A repository with a canary secret and two clients, applied by the CLI, then followed by a
    controller whose webhook secret and admin token are canaries too."""

    def __init__(self, ws: Workspace, bare: pathlib.Path):
        self.ws = ws
        self.bare = bare
        self.canaries = Canaries()
        self.other_token = canary("other")
        self.outputs = []  # (where, text) of everything run in the fixture, searched by the canary test
        self.controller = None
        self.url = None

    @property
    def token(self) -> str:
        return self.canaries.values["client token"]

    @property
    def port(self) -> int:
        return self.controller.port

    def forwarded(self) -> list:
        """Every JSON-RPC message the gateway sent to the clock server, as the server read it."""
        out = sh("docker", "exec", self.ws.name("clock"), "cat", "/tmp/forwarded.jsonl").stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def forwarded_calls(self) -> list:
        return [m["params"]["name"] for m in self.forwarded() if m.get("method") == "tools/call"]

    def reconciles(self) -> float:
        return sum(float(line.rsplit(" ", 1)[1]) for line in get(self.port, "/metrics")[1].splitlines()
                   if line.startswith("capstan_reconciles_total{"))

    def metric(self, prefix: str) -> float:
        return sum(float(line.rsplit(" ", 1)[1]) for line in get(self.port, "/metrics")[1].splitlines()
                   if line.startswith(prefix))


def fort_manifests(f: Fort) -> None:
    ws = f.ws
    (ws.secrets / "canary-key").write_text(f.canaries.values["secret"] + "\n")
    ws.write("servers/clock.yaml", "\n".join([
        "apiVersion: capstan/v1", "kind: Server", "metadata: {name: clock}", "spec:", f"  image: {BASE_IMAGE}",
        "  transport: stdio", f"  command: {json.dumps(CLOCK_COMMAND)}",
        "  secrets:", "    - {env: API_KEY, secret: canary-key}"]) + "\n")
    # A server that names its user: the one place a container runs as someone else than the image says.
    # (An MCP server, so the dashboard's tool listing gets an answer instead of waiting out its 3 s.)
    ws.write("servers/runner.yaml", server_manifest("runner", command=["python3", "-m", "mcp_server_time"],
                                                    extra='  hardening: {user: "10001:10001"}'))
    ws.write("clients/canary.yaml", client_manifest("canary", f.token))
    ws.write("clients/other.yaml", client_manifest("other", f.other_token))
    ws.write("policies/canary.yaml", policy_manifest("canary-tools", ["canary"], [("clock", ["get_*"], "allow")]))
    ws.write("policies/other.yaml", policy_manifest("other-tools", ["other"], [("clock", ["convert_*"], "allow")]))


@pytest.fixture(scope="module")
def fort(tmp_path_factory, capstan_bin):
    root = tmp_path_factory.mktemp("fort")
    ws = Workspace(root, capstan_bin)
    bare = root / "remote.git"
    sh("git", "init", "-q", "--bare", "-b", "main", bare)
    sh("git", "-C", ws.repo, "remote", "add", "origin", bare)
    f = Fort(ws, bare)
    fort_manifests(f)
    ws.commit("clock with a canary secret, two clients")
    sh("git", "-C", ws.repo, "push", "-q", "origin", "main")
    try:
        # The CLI first, on the same state directory the controller then takes over.
        for label, args in (("capstan plan", ()), ("capstan plan -o json", ("-o", "json")),
                            ("capstan plan -out", ("-out", root / "saved.plan"))):
            r = ws.plan(*args)
            assert r.returncode == 0, r.stdout + r.stderr
            f.outputs += [(label, r.stdout + r.stderr)]
        f.outputs.append(("saved plan file", (root / "saved.plan").read_bytes()))
        applied = ws.apply()
        assert applied.returncode == 0, applied.stdout + applied.stderr
        f.outputs.append(("capstan apply", applied.stdout + applied.stderr))

        c = Controller(ws, f"file://{bare}", poll="300s", extra=["--log-level", "trace"])
        # The controller reads its webhook secret and admin token from files: canaries too.
        (ws.secrets.parent / "webhook-secret").write_text(f.canaries.values["webhook secret"])
        (ws.secrets.parent / "admin-token").write_text(f.canaries.values["admin token"] + "\n")
        f.controller = c
        c.start()
        head = sh("git", "-C", ws.repo, "rev-parse", "HEAD").stdout.strip()
        eventually(lambda: c.status().get("lastAppliedRevision") == head, 60, interval=0.3)
        f.url = eventually(lambda: gateway_url(c), 15)
        # One allowed call, so the server has answered once and the forwarded log has its first call.
        with RawSession(f.url, f.token, "2025-11-25") as s:
            r = s.request(1, "tools/call", {"name": "clock__get_current_time", "arguments": {"timezone": "UTC"}})
            assert "result" in r and not r["result"].get("isError"), r
        assert f.forwarded_calls() == ["get_current_time"], f.forwarded()
        yield f
    finally:
        if f.controller:
            f.controller.stop()
            print(f.controller.output()[-3000:])
        ws.cleanup()


# --- 2. hostile repositories -----------------------------------------------------------------------

def billion_laughs(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


HOSTILE_YAML = {
    # name: (file text, what the error says)
    "billion-laughs": (lambda n: billion_laughs(), "nodes once aliases are expanded"),
    "alias-flood": (lambda n: "a: &a x\nb: [" + ", ".join(["*a"] * 5000) + "]\n", "more than 1000 aliases"),
    "nested-flow-lists": (lambda n: "[" * n + "]" * n + "\n", "nesting is deeper than"),
    "nested-flow-maps": (lambda n: "{a: " * n + "1" + "}" * n + "\n", "nesting is deeper than"),
    "nested-block-lists": (lambda n: "- " * n + "x\n", "nesting is deeper than"),
    # Block maps nest by indentation, so their size grows with the square of the depth: 1500
    # levels stay under the 4 MiB file limit and so reach the nesting check.
    "nested-block-maps": (lambda n: "".join(" " * i + f"k{i}:\n" for i in range(min(n, 1500))) + " " * min(n, 1500) + "v: 1\n",
                          "nesting is deeper than"),
    "unclosed-flow": (lambda n: "[" * n + "\n", ""),
    "over-4-MiB": (lambda n: "# " + "x" * (5 << 20) + "\n", "larger than the limit"),
}


def test_hostile_yaml_is_refused_within_seconds_with_a_position_and_bounded_memory(tmp_path, capstan_bin, reliability):
    depth = scale(10_000, 200_000)
    worst = {"seconds": 0.0, "rss_mb": 0.0}
    for name, (make, says) in HOSTILE_YAML.items():
        repo = tmp_path / name
        repo.mkdir()
        (repo / "capstan.yaml").write_text("instance: hostile\n")
        (repo / "bomb.yaml").write_text(make(depth))
        r = measured([capstan_bin, "validate", repo], timeout=30)
        print(f"{name}: exit {r['rc']} in {r['seconds']:.2f}s, max RSS {r['rss_mb']:.0f} MB: {r['out'][:160]!r}")
        assert not r["timed_out"], f"{name}: validate still running after 30s"
        assert r["rc"] == 1, (name, r)
        first = r["out"].splitlines()[0]
        assert first.startswith(f"{repo}/bomb.yaml:") and ": error: " in first and says in first, (name, first)
        line, column = first[len(f"{repo}/bomb.yaml:"):].split(":")[:2]
        assert line.isdigit() and column.isdigit(), (name, first)
        assert r["seconds"] < 5, (name, r["seconds"])
        assert r["rss_mb"] < 100, (name, r["rss_mb"])
        worst = {"seconds": max(worst["seconds"], r["seconds"]), "rss_mb": max(worst["rss_mb"], r["rss_mb"])}
    reliability(scenario="YAML bombs and deep nesting are refused by validate",
                injected=f"billion laughs, 5000 aliases, {depth} nested flow/block lists and maps, unclosed flow, a 5 MiB file",
                outcome="exit 1 with file:line:column and the limit named (64 levels, 100000 nodes, 1000 aliases, 4 MiB)",
                inputs=len(HOSTILE_YAML), max_seconds=round(worst["seconds"], 3), max_rss_mb=round(worst["rss_mb"], 1))


def test_build_contexts_that_leave_the_repository_are_refused_with_a_position(ws, tmp_path, reliability):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "Dockerfile").write_text("FROM python:3.11-slim-bookworm\n")
    (ws.repo / "projects").mkdir()
    (ws.repo / "projects" / "link").symlink_to(outside)
    ws.write("projects/real/Dockerfile", "FROM python:3.11-slim-bookworm\n")
    cases = {
        "dotdot": ("../outside", 'spec.context "../outside" leaves the repository through ".."'),
        "sneaky": ("projects/real/../../../outside", "leaves the repository through \"..\""),
        "absolute": (str(outside), f'spec.context "{outside}" is an absolute path'),
        "symlinked": ("projects/link", f'goes through the symbolic link projects/link -> {outside}, which points outside the repository'),
    }
    docs = [project_manifest(name, json.dumps(context)) for name, (context, _) in cases.items()]
    docs.append("apiVersion: capstan/v1\nkind: Project\nmetadata: {name: df}\n"
                "spec: {context: projects/real, dockerfile: ../../../outside/Dockerfile}\n")
    ws.write("projects.yaml", "---\n".join(docs))
    ws.commit("contexts that try to leave")
    expected = [msg for _, msg in cases.values()] + ['spec.dockerfile "../../../outside/Dockerfile" leaves spec.context through ".."']

    validated = measured([ws.capstan_bin, "validate", ws.repo], timeout=30)
    planned = measured([ws.capstan_bin, "plan", *ws.source()], timeout=30)
    for what, r in (("validate", validated), ("plan --repo", planned)):
        assert r["rc"] == 1 and r["seconds"] < 5, (what, r)
        errors = [line for line in r["out"].splitlines() if ": error: " in line]
        assert len(errors) == len(expected), (what, r["out"])
        for message in expected:
            assert any(line.startswith(f"projects.yaml:") or line.startswith(f"{ws.repo}/projects.yaml:")
                       for line in errors if message in line), (what, message, r["out"])
    assert "nothing was planned or applied" in planned["out"] + planned["err"]
    reliability(scenario="Build contexts that leave the repository are refused",
                injected="context with .., an absolute context, a context through a symlink to /tmp, a Dockerfile with ..",
                outcome="validate and plan --repo exit 1 naming each file:line:column; nothing is built",
                refused=len(expected), validate_seconds=round(validated["seconds"], 3), plan_seconds=round(planned["seconds"], 3))


def test_links_inside_a_context_never_bring_host_files_into_the_image_and_oversized_contexts_are_refused(ws, tmp_path, reliability):
    """A symlink inside a context travels as a link (never its target's bytes), for both the
    checkout and the git object reader. A context over capstan.yaml's maxContextSize (after
    .dockerignore) is refused at the Project's spec.context, from blob sizes alone: nothing is
    read, so memory stays flat however big the file."""
    host_secret = "HOST-FILE-" + uuid.uuid4().hex
    (tmp_path / "outside.txt").write_text(host_secret + "\n")
    p = ws.project
    ws.write(f"projects/{p}/Dockerfile", 'FROM python:3.11-slim-bookworm\nCOPY . /ctx\nCMD ["sleep", "1000000"]\n')
    ws.write(f"projects/{p}/app.py", f"# {ws.instance}\n")
    (ws.repo / "projects" / p / "relative.txt").symlink_to(os.path.relpath(tmp_path / "outside.txt", ws.repo / "projects" / p))
    (ws.repo / "projects" / p / "absolute.txt").symlink_to(tmp_path / "outside.txt")
    ws.write("m.yaml", project_manifest(p, f"projects/{p}") + "---\n" + server_manifest("app", project=p))
    ws.commit("links to the host")
    applied = ws.apply()
    assert applied.returncode == 0, applied.stdout + applied.stderr
    image = inspect(ws.name("app"))["Config"]["Image"]
    seen = sh("docker", "run", "--rm", "--network", "none", image, "sh", "-c",
              "readlink /ctx/relative.txt /ctx/absolute.txt; cat /ctx/relative.txt /ctx/absolute.txt", check=False)
    assert host_secret not in seen.stdout + seen.stderr
    assert "No such file" in seen.stderr and "outside.txt" in seen.stdout, seen
    assert_hardened(ws.name("app"))

    # Size: a context over the limit is refused before anything is read.
    size_mb = scale(32, 768)  # whole MiB both ways: the message says "768 MiB", not "0.8 GiB"
    with open(ws.repo / "projects" / p / "big.bin", "wb") as f:
        f.truncate(size_mb << 20)
    (ws.repo / "capstan.yaml").write_text(f"instance: {ws.instance}\nmaxContextSize: {size_mb // 2}Mi\n")
    ws.commit("a big file")
    r = measured([ws.capstan_bin, "plan", *ws.source()], timeout=120)
    print(f"plan with a {size_mb} MiB file: exit {r['rc']} in {r['seconds']:.2f}s, max RSS {r['rss_mb']:.0f} MB")
    manifest = (ws.repo / "m.yaml").read_text().splitlines()
    line = next(i for i, l in enumerate(manifest, 1) if f"context: projects/{p}" in l)
    column = manifest[line - 1].index(f"projects/{p}") + 1
    assert r["rc"] == 1, r
    assert (f"m.yaml:{line}:{column}: error: build context \"projects/{p}\" holds {size_mb} MiB after .dockerignore, "
            f"more than the limit of {size_mb // 2} MiB; largest: big.bin ({size_mb} MiB)") in r["out"], r["out"]
    assert f"projects/{p}/.dockerignore" in r["out"] and "nothing was planned or applied" in r["out"], r["out"]
    assert r["seconds"] < 5 and r["rss_mb"] < 100, r
    # Left out by .dockerignore, the same file is no longer part of the context.
    ws.write(f"projects/{p}/.dockerignore", "big.bin\n")
    ws.commit("ignore the big file")
    ignored = measured([ws.capstan_bin, "plan", *ws.source()], timeout=120)
    assert ignored["rc"] == 0 and "image." in ignored["out"], ignored
    reliability(scenario="Symlinks inside a build context stay links; an oversized context is refused",
                injected=f"relative and absolute links to a host file; a {size_mb} MiB file in a context limited to {size_mb // 2} MiB",
                outcome="the image holds dangling links, never the host file; plan exits 1 at the Project's spec.context "
                        "naming the largest file, without reading it; once .dockerignore leaves it out, plan succeeds",
                links=2, context_mib=size_mb, plan_seconds=round(r["seconds"], 2), plan_max_rss_mb=round(r["rss_mb"], 1))


def signed(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_webhook_replays_bad_signatures_and_oversized_bodies_are_refused(fort, reliability):
    secret = fort.canaries.values["webhook secret"]
    head = sh("git", "-C", fort.ws.repo, "rev-parse", "HEAD").stdout.strip()
    body = json.dumps({"ref": "refs/heads/main", "after": head}).encode()
    base = {"X-GitHub-Event": "push", "Content-Type": "application/json"}

    # Wrong, missing and malformed signatures: 401, and no sync.
    before = fort.reconciles()
    refusals = []
    for sig in (signed(wrong(secret), body), None, "sha256=zz", "sha1=" + "0" * 40, signed(secret, body + b" ")):
        headers = dict(base, **({"X-Hub-Signature-256": sig} if sig else {}))
        status, _, answer, seconds = post(fort.port, "/api/v1/webhook", body, headers)
        assert status == 401 and json.loads(answer) == {"result": "bad_signature"}, (sig, status, answer)
        refusals.append(seconds)
    gitlab = dict(base, **{"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": wrong(secret)})
    status, _, _, seconds = post(fort.port, "/api/v1/webhook", body, gitlab)
    assert status == 401
    refusals.append(seconds)

    # The same signed delivery twice: one sync.
    delivery = str(uuid.uuid4())
    replay = dict(base, **{"X-Hub-Signature-256": signed(secret, body), "X-GitHub-Delivery": delivery})
    status, _, answer, _ = post(fort.port, "/api/v1/webhook", body, replay)
    assert status == 202 and json.loads(answer) == {"result": "accepted"}, answer
    eventually(lambda: fort.reconciles() >= before + 1, 15)
    after_first = fort.reconciles()
    assert after_first == before + 1, "badly signed deliveries triggered syncs"
    repeats = scale(1, 20)
    for _ in range(repeats):
        status, _, answer, seconds = post(fort.port, "/api/v1/webhook", body, replay)
        assert status == 202, answer
        assert json.loads(answer)["result"] == "replayed" and "already accepted" in json.loads(answer)["reason"], answer
        assert delivery not in answer
        refusals.append(seconds)
    # GitLab's delivery id, on the same rule.
    lab = dict(base, **{"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": secret, "X-Gitlab-Event-UUID": delivery})
    assert json.loads(post(fort.port, "/api/v1/webhook", body, lab)[2])["result"] == "accepted"
    eventually(lambda: fort.reconciles() >= after_first + 1, 15)
    assert json.loads(post(fort.port, "/api/v1/webhook", body, lab)[2])["result"] == "replayed"
    time.sleep(1.5)  # the webhook settle (0.3 s) and a reconcile would have happened by now
    assert fort.reconciles() == after_first + 1, "a replayed delivery triggered a sync"
    assert fort.metric('capstan_webhook_requests_total{result="replayed"}') == repeats + 1
    assert fort.metric('capstan_webhook_requests_total{result="bad_signature"}') >= 6

    # Bodies over 1 MiB: 413 before the body is read, declared or chunked.
    big = b'{"ref": "refs/heads/main", "pad": "' + b"x" * (1 << 20) + b'"}'
    headers = dict(base, **{"X-Hub-Signature-256": signed(secret, big)})
    for chunked in (False, True):
        status, _, answer, seconds = post(fort.port, "/api/v1/webhook", big, headers, chunked=chunked)
        assert status == 413 and json.loads(answer) == {"result": "too_large"}, (chunked, status, answer)
        assert seconds < 2, seconds
        refusals.append(seconds)
    assert fort.reconciles() == after_first + 1
    reliability(scenario="Webhook: replays, bad signatures and oversized bodies are refused",
                injected=f"5 bad GitHub signatures, a wrong GitLab token, one signed GitHub delivery sent {repeats + 1} "
                         "times and one GitLab delivery twice, 1 MiB+ bodies with Content-Length and chunked",
                outcome="401 bad_signature, 202 replayed (no second sync), 413 too_large; only the 2 first deliveries synced",
                refused=len(refusals), syncs=2, max_seconds_to_reject=round(max(refusals), 3))


def test_manual_sync_and_the_gateway_admin_api_need_their_tokens(fort, capstan_bin, tmp_path, reliability):
    admin = fort.canaries.values["admin token"]
    refusals = []
    for headers in ({}, {"Authorization": f"Bearer {wrong(admin)}"}, {"Authorization": f"Basic {admin}"},
                    {"Authorization": "Bearer"}, {"Authorization": f"bearer  {admin}x"}):
        status, answer_headers, answer, seconds = post(fort.port, "/api/v1/sync", b"", headers)
        assert status == 401 and answer_headers.get("WWW-Authenticate", "").startswith("Bearer"), (headers, status, answer)
        refusals.append(seconds)
    (tmp_path / "wrong-admin").write_text(wrong(admin) + "\n")
    r = measured([capstan_bin, "sync", "--controller", fort.controller.url, "--admin-token-file", tmp_path / "wrong-admin"], 30)
    assert r["rc"] != 0 and "the controller refused the admin token" in r["err"], r
    fort.outputs.append(("capstan sync with a wrong admin token", r["out"] + r["err"]))
    status, _, answer, _ = post(fort.port, "/api/v1/sync", b"", {"Authorization": f"Bearer {admin}"})
    assert status == 202, answer

    # The gateway's admin API on loopback TCP needs its token; it never listens beyond loopback.
    state = tmp_path / "gw-state"
    token_file = tmp_path / "gw-admin-token"
    gateway_admin = canary("gateway-admin")
    token_file.write_text(gateway_admin + "\n")
    admin_port = free_port()
    log = open(tmp_path / "gateway.log", "wb")
    gw = subprocess.Popen([capstan_bin, "gateway", "--listen", "127.0.0.1:0", "--admin-listen", f"127.0.0.1:{admin_port}",
                           "--admin-token-file", token_file, "--state-dir", state], stdout=log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{admin_port}/admin/routes"
        eventually(lambda: gw.poll() is not None or _answers(base), 20)
        assert gw.poll() is None, (tmp_path / "gateway.log").read_text()
        table = {"servers": [], "clients": [{"name": "intruder", "tokenHash": token_hash("intruder"), "rules": []}]}
        for auth in (None, f"Bearer {wrong(gateway_admin)}", f"Basic {gateway_admin}"):
            h = {"Authorization": auth} if auth else {}
            started = time.monotonic()
            got = httpx.get(base, headers=h, timeout=10)
            put = httpx.put(base, json=table, headers=dict(h, **{"If-Match": "*"}), timeout=10)
            refusals.append(time.monotonic() - started)
            assert got.status_code == 401 and put.status_code == 401, (auth, got.text, put.text)
            assert "intruder" not in got.text
        good = {"Authorization": f"Bearer {gateway_admin}"}
        routes = httpx.get(base, headers=good, timeout=10)
        assert routes.status_code == 200 and routes.json()["table"]["clients"] == [], routes.text
        assert httpx.put(base, json=table, headers=dict(good, **{"If-Match": "*"}), timeout=10).status_code == 200
    finally:
        stop_process(gw)
        log.close()
    wide = measured([capstan_bin, "gateway", "--listen", "127.0.0.1:0", "--admin-listen", "0.0.0.0:0", "--allow-remote",
                     "--admin-token-file", token_file, "--state-dir", state], 20)
    assert wide["rc"] != 0 and "--admin-listen: 0.0.0.0 is not a loopback address" in wide["err"], wide
    assert "pass --allow-remote" not in wide["err"] and "never the admin API" in wide["err"], wide["err"]
    assert gateway_admin not in (tmp_path / "gateway.log").read_text() + wide["out"] + wide["err"]
    reliability(scenario="Manual sync and the gateway admin API refuse missing or wrong tokens",
                injected="POST /api/v1/sync without, with a wrong, Basic and empty bearer; capstan sync with a wrong token "
                         "file; GET and PUT /admin/routes on loopback TCP without or with a wrong token; "
                         "--admin-listen 0.0.0.0 --allow-remote",
                outcome="401 with a Bearer challenge, the route table unchanged; the admin API refuses a non-loopback address",
                refused=len(refusals) + 1, max_seconds_to_reject=round(max(refusals), 3))


def _answers(url: str) -> bool:
    try:
        httpx.get(url, timeout=2)
        return True
    except httpx.HTTPError:
        return False


# Names that must never reach a server: each differs from an allowed tool in a way a person might
# not see, or tries to say "another server" or "a path".
TRICKS = [
    "clock__convert_time",            # another client's tool
    "clock__get_current_time__x",     # a__b__c: the policy's get_* matches, the server offers no such tool
    "a__b__c",
    "clock__../x",
    "../clock__get_current_time",
    "clock__get_*",                   # a pattern as a name
    "сlock__get_current_time",        # Cyrillic с (U+0441) in the server
    "clock__get_current_timе",        # Cyrillic е (U+0435) at the end of the tool
    "clock＿＿get_current_time",        # fullwidth low lines (U+FF3F)
    "clock\u200d__get_current_time",  # a zero-width joiner in the server
    "clock__get\u200d_current_time",  # … and in the tool
    "CLOCK__get_current_time",
    " clock__get_current_time",
    "clock__get_current_time\n",
    "clock____get_current_time",
    "clock__",
    "__get_current_time",
    "",
]


def test_another_clients_tools_and_tool_name_tricks_are_refused_and_never_forwarded(fort, reliability):
    calls_before = fort.forwarded_calls()
    rows_before = len(audit_calls(fort.ws, "canary"))
    with RawSession(fort.url, fort.token, "2025-11-25") as s:
        listed = {t["name"] for t in s.request(1, "tools/list")["result"]["tools"]}
        assert listed == {"clock__get_current_time"}, listed
        started = time.monotonic()
        for i, name in enumerate(TRICKS):
            answer = s.request(100 + i, "tools/call", {"name": name, "arguments": {"timezone": "UTC"}})
            assert answer.get("error", {}).get("code") == -32602, (name, answer)
        seconds = time.monotonic() - started
        ok = s.request(2, "tools/call", {"name": "clock__get_current_time", "arguments": {"timezone": "UTC"}})
        assert "result" in ok, ok
    # The other client may call what the canary may not: the refusal was about who asked.
    with RawSession(fort.url, fort.other_token, "2025-11-25") as s:
        converted = s.request(1, "tools/call", {"name": "clock__convert_time", "arguments": {
            "source_timezone": "UTC", "time": "12:00", "target_timezone": "UTC"}})
        assert "result" in converted and not converted["result"].get("isError"), converted

    assert fort.forwarded_calls() == calls_before + ["get_current_time", "convert_time"], fort.forwarded_calls()
    rows = eventually(lambda: (r := audit_calls(fort.ws, "canary")[rows_before:]) and len(r) >= len(TRICKS) + 1 and r, 15)
    assert len(rows) == len(TRICKS) + 1, rows
    assert [(r["decision"], r["outcome"]) for r in rows[:-1]] == [("denied", "denied")] * len(TRICKS), rows
    assert (rows[0]["server"], rows[0]["tool"]) == ("clock", "convert_time")
    assert (rows[-1]["tool"], rows[-1]["outcome"]) == ("get_current_time", "ok")
    verify = fort.ws.run("audit", "verify", "--state-dir", fort.ws.state)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    reliability(scenario="A client cannot call another client's tools or reach a tool by a look-alike name",
                injected="another client's tool, a__b__c, ../ paths, patterns, Cyrillic look-alikes, fullwidth underscores, "
                         "zero-width joiners, case, spaces, a newline, empty names",
                outcome="-32602 for each, audited as denied, none forwarded to the server (read from its stdin); "
                        "the audit chain verifies",
                attempts=len(TRICKS), refused=len(TRICKS), forwarded=0, seconds_for_all=round(seconds, 3))


def test_a_tool_name_with_a_nul_byte_is_refused_and_leaves_the_audit_chain_verifiable(capstan_bin, tmp_path, reliability):
    """A client may send any string as a tool name; the denied call is audited, and the audit
    chain must still verify afterwards (a client must not be able to break tamper evidence)."""
    gateway = GatewayProcess(capstan_bin, tmp_path / "state", tmp_path / "gateway.log").start()
    try:
        token = canary("nul")
        _, etag = gateway.routes()
        table = {"servers": [], "clients": [{"name": "nul", "tokenHash": token_hash(token), "rules": []}]}
        assert gateway.put_routes(table, etag).status_code == 200
        with RawSession(gateway.url, token, "2025-11-25") as s:
            for i, name in enumerate(["x__y\u0000", "x__y\u0000z", "x__y"]):
                answer = s.request(i, "tools/call", {"name": name, "arguments": {}})
                assert answer["error"]["code"] == -32602, answer
        rows = eventually(lambda: (r := json.loads(sh(capstan_bin, "audit", "calls", "--state-dir", tmp_path / "state",
                                                       "-o", "json").stdout)) and len(r) >= 3 and r, 10)
        assert [(r["decision"], r["outcome"]) for r in rows] == [("denied", "denied")] * 3, rows
        verify = sh(capstan_bin, "audit", "verify", "--state-dir", tmp_path / "state", check=False)
    finally:
        gateway.stop()
    reliability(scenario="A tool name with a NUL byte leaves the audit chain verifiable",
                injected="tools/call names x__y<NUL> and x__y<NUL>z from an authenticated client",
                outcome="-32602 and audited as denied; capstan audit verify must still pass",
                attempts=3, verify_exit=verify.returncode)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_2026_07_28_headers_that_disagree_with_the_body_are_refused(fort, reliability):
    calls_before = fort.forwarded_calls()
    rows_before = len(audit_calls(fort.ws, "canary"))
    allowed = {"name": "clock__get_current_time", "arguments": {"timezone": "UTC"}}
    forbidden = {"name": "clock__convert_time", "arguments": {"source_timezone": "UTC", "time": "1:00", "target_timezone": "UTC"}}
    cases = [
        ("Mcp-Method names another method", "tools/call", allowed, {"Mcp-Method": "tools/list"}),
        ("Mcp-Method missing", "tools/call", allowed, {"Mcp-Method": None}),
        ("Mcp-Name names an allowed tool, the body another", "tools/call", forbidden, {"Mcp-Name": "clock__get_current_time"}),
        ("Mcp-Name base64 of another name", "tools/call", forbidden,
         {"Mcp-Name": "=?base64?Y2xvY2tfX2dldF9jdXJyZW50X3RpbWU=?="}),
        ("Mcp-Name missing", "tools/call", allowed, {"Mcp-Name": None}),
        ("MCP-Protocol-Version older than _meta", "tools/call", allowed, {"MCP-Protocol-Version": "2025-11-25"}),
        # Without the version header the body's _meta decides (2026-07-28), and the other
        # headers are still held to the body.
        ("MCP-Protocol-Version missing, Mcp-Name another tool", "tools/call", forbidden,
         {"MCP-Protocol-Version": None, "Mcp-Name": "clock__get_current_time"}),
    ]
    seconds = []
    for what, method, params, headers in cases:
        started = time.monotonic()
        r = modern_post(fort.url, fort.token, method, params, id_=9, headers=headers)
        seconds.append(time.monotonic() - started)
        assert r.status_code == 400, (what, r.status_code, r.text)
        assert r.json()["error"]["code"] == -32020 and r.json()["id"] == 9, (what, r.text)
    ok = modern_post(fort.url, fort.token, "tools/call", allowed)
    assert ok.status_code == 200 and "result" in ok.json(), ok.text
    assert fort.forwarded_calls() == calls_before + ["get_current_time"]
    rows = eventually(lambda: (r := audit_calls(fort.ws, "canary")[rows_before:]) and r, 15)
    time.sleep(0.3)
    rows = audit_calls(fort.ws, "canary")[rows_before:]
    assert [(r["tool"], r["outcome"]) for r in rows] == [("get_current_time", "ok")], rows
    reliability(scenario="MCP 2026-07-28: headers that disagree with the body are refused",
                injected="Mcp-Method and Mcp-Name (plain and base64) naming something else or missing, "
                         "MCP-Protocol-Version older than _meta or missing",
                outcome="400 with -32020 before dispatch: not forwarded, not audited as calls",
                attempts=len(cases), refused=len(cases), forwarded=0, max_seconds_to_reject=round(max(seconds), 3))


# --- 4. hardening ----------------------------------------------------------------------------------

def test_every_container_is_hardened_and_manifests_cannot_ask_for_privileges(fort, tmp_path, capstan_bin, reliability):
    containers = sorted(fort.ws.containers())
    assert containers == sorted([fort.ws.name("clock"), fort.ws.name("runner")]), containers
    assert_hardened(fort.ws.name("clock"))
    assert_hardened(fort.ws.name("runner"), user="10001:10001")
    # Without hardening.user the image's USER applies: the base image's is root, so Capstan does
    # not make a container non-root by itself (README's defaults do not promise it).
    assert sh("docker", "exec", fort.ws.name("clock"), "id", "-u").stdout.strip() == "0"
    assert sh("docker", "exec", fort.ws.name("runner"), "id", "-u").stdout.strip() == "10001"

    asks = {
        "privileged": ("  privileged: true", 'unknown field "privileged" in spec'),
        "pid": ("  pid: host", 'unknown field "pid" in spec'),
        "ipc": ("  ipc: host", 'unknown field "ipc" in spec'),
        "userns": ("  userns: host", 'unknown field "userns" in spec'),
        "volumes": ('  volumes: ["/:/host"]', 'unknown field "volumes" in spec'),
        "devices": ('  devices: ["/dev/mem"]', 'unknown field "devices" in spec'),
        "hardening-privileged": ("  hardening: {privileged: true}", 'unknown field "privileged" in spec.hardening'),
        "security-opt": ('  hardening: {securityOpt: ["seccomp=unconfined"]}', 'unknown field "securityOpt" in spec.hardening'),
        "cap-all": ("  hardening: {capAdd: [ALL]}", 'spec.hardening.capAdd[0] "ALL" is not valid'),
        "network-container": ('  network: "container:abc"', 'spec.network "container:abc" is not valid'),
    }
    repo = tmp_path / "asks"
    repo.mkdir()
    (repo / "capstan.yaml").write_text("instance: asks\n")
    for name, (line, _) in asks.items():
        (repo / f"{name}.yaml").write_text(server_manifest(name, extra=line))
    r = measured([capstan_bin, "validate", repo], 30)
    assert r["rc"] == 1, r
    errors = [line for line in r["out"].splitlines() if ": error: " in line]
    assert len(errors) == len(asks), r["out"]
    for name, (_, message) in asks.items():
        # The error sits on the offending line (7: after apiVersion, kind, metadata, spec, image, command).
        assert any(line.startswith(f"{repo}/{name}.yaml:7:") and message in line for line in errors), (name, r["out"])
    assert "allowed fields here:" in r["out"]
    reliability(scenario="Containers are hardened; manifests cannot ask for privileges",
                injected="privileged, host pid/ipc/userns, volumes, devices, securityOpt, capAdd ALL, network container:",
                outcome="each container: read-only root, no-new-privileges (NoNewPrivs=1), CapEff=0, network none, "
                        "no host namespaces or mounts, 128 pids, 256 MiB; the image's user unless hardening.user "
                        "(root for the base image); validate refuses every ask at file:line:column",
                containers=len(containers), refused=len(asks), validate_seconds=round(r["seconds"], 3))


# --- 1. canaries (last: it also searches what the tests above left behind) ---------------------------------

def test_canary_secret_and_tokens_never_leak_into_any_output(fort, tmp_path, reliability):
    ws, values = fort.ws, fort.canaries.values
    outputs = list(fort.outputs)

    def cli(label, *args, expect=0):
        r = ws.run(*args)
        assert r.returncode == expect, (label, r.returncode, r.stdout, r.stderr)
        outputs.append((label, r.stdout + r.stderr))
        return r

    # Calls with the canary token, allowed and refused, so its client shows up everywhere.
    with RawSession(fort.url, fort.token, "2025-11-25") as s:
        assert "result" in s.request(1, "tools/call", {"name": "clock__get_current_time", "arguments": {"timezone": "UTC"}})
        assert s.request(2, "tools/call", {"name": "clock__convert_time", "arguments": {}})["error"]["code"] == -32602
    eventually(lambda: any(r["tool"] == "convert_time" for r in audit_calls(ws, "canary")), 10)

    # Failing commands and refused requests that carry (a variant of) each canary.
    r = httpx.post(fort.url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                   headers={"Authorization": f"Bearer {wrong(fort.token)}", "Accept": JSON_AND_SSE}, timeout=10)
    assert r.status_code == 401
    outputs.append(("gateway 401 for a wrong client token", str(r.headers) + r.text))
    status, headers, answer, _ = post(fort.port, "/api/v1/sync", b"", {"Authorization": f"Bearer {wrong(values['admin token'])}"})
    outputs.append(("sync 401", str(headers) + answer))
    body = b'{"ref": "refs/heads/main"}'
    status, headers, answer, _ = post(fort.port, "/api/v1/webhook", body,
                                      {"X-GitHub-Event": "push", "X-Hub-Signature-256": signed(wrong(values["webhook secret"]), body)})
    outputs.append(("webhook 401", str(headers) + answer))
    env = dict(os.environ, CAPSTAN_WEBHOOK_SECRET=values["webhook secret"], CAPSTAN_ADMIN_TOKEN=values["admin token"])
    refused = measured([ws.capstan_bin, "controller", "--repo", f"file://{fort.bare}", "--state-dir", ws.state,
                        "--listen", f"127.0.0.1:{free_port()}", "--gateway-listen", "127.0.0.1:0"], 30, env=env)
    assert refused["rc"] != 0 and "another capstan controller holds this state directory" in refused["out"] + refused["err"], refused
    outputs.append(("second controller (secrets in its environment)", refused["out"] + refused["err"]))
    unreachable = measured([ws.capstan_bin, "sync", "--controller", f"http://127.0.0.1:{free_port()}"], 30, env=env)
    assert unreachable["rc"] != 0, unreachable
    outputs.append(("capstan sync to nobody (token in its environment)", unreachable["out"] + unreachable["err"]))
    # A bad manifest that names the secret, in a copy of the repository: validate and plan fail.
    broken = tmp_path / "broken"
    sh("git", "clone", "-q", ws.repo, broken)
    (broken / "broken.yaml").write_text("\n".join([
        "apiVersion: capstan/v1", "kind: Server", "metadata: {name: broken}", "spec:", f"  image: {BASE_IMAGE}",
        "  env: {API_KEY: plain}", "  secrets:", "    - {env: API_KEY, secret: canary-key}",
        "    - {env: OTHER, secret: canary-key, value: x}", "    - {env: THIRD, secret: ../secrets/canary-key}"]) + "\n")
    cli("validate of a bad manifest naming the secret", "validate", broken, expect=1)
    cli("plan of a bad manifest naming the secret", "plan", broken, "--state-dir", tmp_path / "st", "--secrets-dir", ws.secrets,
        expect=1)
    (broken / "broken.yaml").write_text(server_manifest("broken", extra="  secrets:\n    - {env: A, secret: canary-keys}"))
    cli("plan with a missing secret", "plan", broken, "--state-dir", tmp_path / "st", "--secrets-dir", ws.secrets, expect=1)

    # Every output the CLI has.
    source = ws.source()
    cli("capstan plan (after apply)", "plan", *source)
    cli("capstan plan -o json (after apply)", "plan", *source, "-o", "json")
    cli("capstan status", "status", *source)
    cli("capstan status -o json", "status", *source, "-o", "json")
    for sub in ("log", "calls"):
        cli(f"capstan audit {sub}", "audit", sub, "--state-dir", ws.state)
        cli(f"capstan audit {sub} -o json", "audit", sub, "--state-dir", ws.state, "-o", "json")
    cli("capstan audit verify", "audit", "verify", "--state-dir", ws.state)

    # Every HTTP answer of the controller: status, metrics, each page and JSON twin.
    for path in ["/api/v1/status", "/metrics", "/healthz", "/readyz"] + PAGES + ["/calls?client=canary", "/api/v1/calls?decision=denied"]:
        code, text = get(fort.port, path)
        assert code == 200, (path, code, text[:300])
        outputs.append((f"GET {path}", text))
    calls_page = get(fort.port, "/api/v1/calls?client=canary")[1]
    assert "convert_time" in calls_page, "the canary client's calls are on the dashboard"

    # Labels of every container (Env carries the secret by design and is not searched).
    for name in ws.containers():
        info = inspect(name)
        outputs.append((f"labels of {name}", json.dumps(info["Config"]["Labels"])))
        if name == ws.name("clock"):
            assert f"API_KEY={values['secret']}" in info["Config"]["Env"], "the secret does reach the container"

    # The state directory's raw bytes while the controller runs (audit.db, its -wal, routes, mirror).
    state_files = [p for p in ws.state.rglob("*") if p.is_file() and not p.is_socket()]
    assert any(p.name == "audit.db-wal" for p in state_files), [p.name for p in state_files]
    outputs += [(f"state file {p.relative_to(ws.state)}", p.read_bytes()) for p in state_files]
    # The controller's log at its most talkative level (trace): every tool call, every attempt.
    fort.controller.stop()
    log = fort.controller.output()
    assert "webhook refused: bad signature" in log and "manual sync refused" in log, log[-2000:]
    calls = [line for line in log.splitlines() if " debug capstan.gateway: " in line and line.endswith(" tool call")]
    assert any('tool="convert_time"' in line and "decision=denied" in line for line in calls), calls or log[-2000:]
    assert any(" in sync at " in line or " applied " in line for line in log.splitlines()), log[-2000:]
    outputs.append(("controller log", log))
    outputs += [(f"state file after stop: {p.relative_to(ws.state)}", p.read_bytes())
                for p in ws.state.rglob("*") if p.is_file() and not p.is_socket()]

    # The search itself finds a canary where there is one (whole, and by its piece alone).
    assert len(fort.canaries.found_in([("probe", "x" + values["secret"] + "x")])) == 2
    assert fort.canaries.found_in([("probe", values["admin token"][-25:-7])]) == [("admin token (16-char piece)", "probe")]
    found = fort.canaries.found_in(outputs)
    assert found == [], f"canaries found: {found}"
    reliability(scenario="Canary secret, client token, admin token and webhook secret never leak",
                injected="a secret in a server's env, a client token used for calls, the controller's admin token and "
                         "webhook secret, plus wrong variants of each presented to every door",
                outcome="none found, whole or as a 16-char piece, in CLI output, HTTP answers, dashboard, logs, "
                        "labels or the audit store's raw bytes; the controller's log at --log-level trace",
                outputs_searched=len(outputs), canaries=len(values), found=len(found),
                bytes_searched=sum(len(d) for _, d in outputs))


def test_a_secret_the_engine_refuses_is_not_echoed_in_output_or_the_audit_store(ws, reliability):
    """A secret value Docker refuses (a NUL byte in an env value) must fail the server without the
    value: the engine's error quotes the whole `NAME=value`."""
    value = "CANARY-NUL-" + uuid.uuid4().hex
    (ws.secrets / "odd").write_bytes(value.encode() + b"\x00tail\n")
    ws.write("s.yaml", server_manifest("odd", extra="  secrets:\n    - {env: ODD, secret: odd}"))
    ws.commit()
    r = ws.apply()
    assert r.returncode == 1, r.stdout + r.stderr
    log = ws.run("audit", "log", "--state-dir", ws.state, "-o", "json")
    where = [w for w, text in (("apply output", r.stdout + r.stderr), ("audit log", log.stdout)) if value[11:27] in text]
    where += [str(p.name) for p in ws.state.rglob("audit.db*") if value[11:27].encode() in p.read_bytes()]
    reliability(scenario="A secret the engine refuses is not echoed back",
                injected="a secret value with a NUL byte", outcome="apply fails the server without quoting the value",
                places_found=len(where))
    assert where == [], f"the secret value is quoted in: {where}\n{r.stdout}"
