"""`capstan controller` against a real git remote and the real engine: polling, signed webhooks,
bad commits, drift, crash loops, SIGKILL in the middle of an apply, an unreachable remote."""
import hashlib
import hmac
import json
import signal
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from conftest import eventually, free_port, project_manifest, server_manifest, sh, stop_process

WEBHOOK_SECRET = b"webhook-secret-for-tests"
ADMIN_TOKEN = "admin-token-for-tests"


class Controller:
    def __init__(self, ws, remote_url: str, poll: str = "1s", extra=()):
        self.ws = ws
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        (ws.state).mkdir(exist_ok=True)
        secret_file = ws.secrets.parent / "webhook-secret"
        secret_file.write_bytes(WEBHOOK_SECRET)
        token_file = ws.secrets.parent / "admin-token"
        token_file.write_text(ADMIN_TOKEN + "\n")
        self.args = [ws.capstan_bin, "controller", "--repo", remote_url, "--branch", "main",
                     "--state-dir", str(ws.state), "--secrets-dir", str(ws.secrets),
                     "--listen", f"127.0.0.1:{self.port}", "--gateway-listen", "127.0.0.1:0", "--poll-interval", poll,
                     "--webhook-secret-file", str(secret_file), "--admin-token-file", str(token_file), *extra]
        self.log = open(ws.secrets.parent / "controller.log", "ab")
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT)
        eventually(lambda: self.get("/healthz")[0] == 200, 30)
        return self

    def get(self, path):
        try:
            with urllib.request.urlopen(self.url + path, timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()
        except OSError:
            return 0, ""

    def post(self, path, body: bytes, headers: dict):
        req = urllib.request.Request(self.url + path, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def status(self) -> dict:
        code, body = self.get("/api/v1/status")
        assert code == 200, body
        return json.loads(body)

    def push_webhook(self, secret=WEBHOOK_SECRET, branch="main"):
        body = json.dumps({"ref": f"refs/heads/{branch}", "after": "0" * 40}).encode()
        sig = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        return self.post("/api/v1/webhook", body, {"X-GitHub-Event": "push", "X-Hub-Signature-256": sig,
                                                   "Content-Type": "application/json"})

    def stop(self, sig=signal.SIGTERM):
        if self.proc:
            stop_process(self.proc, sig, grace=30)
        self.log.flush()

    def output(self) -> str:
        self.log.flush()
        return (self.ws.secrets.parent / "controller.log").read_text(errors="replace")


@pytest.fixture
def remote(ws):
    """A bare repository that ws.repo pushes to, as a file:// remote."""
    bare = ws.repo.parent / "remote.git"
    sh("git", "init", "-q", "--bare", "-b", "main", bare)
    sh("git", "-C", ws.repo, "remote", "add", "origin", bare)
    return bare


def push(ws):
    ws.commit()
    sh("git", "-C", ws.repo, "push", "-q", "--force", "origin", "main")


@pytest.fixture
def controller(ws, remote):
    started = []

    def make(poll="1s", url=None, extra=()):
        c = Controller(ws, url or f"file://{remote}", poll=poll, extra=extra)
        started.append(c)
        return c

    yield make
    for c in started:
        c.stop()


def running(ws, server):
    return ws.containers().get(ws.name(server), (None, None))[1] == "running"


def test_commit_on_a_file_remote_runs_after_the_next_poll(ws, controller):
    ws.write("a.yaml", server_manifest("a"))
    push(ws)
    c = controller().start()
    eventually(lambda: running(ws, "a"), 30)
    eventually(lambda: c.get("/readyz")[0] == 200, 15)

    ws.write("b.yaml", server_manifest("b"))
    push(ws)
    eventually(lambda: running(ws, "b"), 15)
    # The container runs a moment before the controller has recorded the revision as applied.
    head = sh("git", "-C", ws.repo, "rev-parse", "HEAD").stdout.strip()
    eventually(lambda: c.status()["lastAppliedRevision"] == head, 15)
    status = c.status()
    assert {r["address"] for r in status["resources"] if r["inSync"]} >= {"server.a", "server.b"}
    metrics = c.get("/metrics")[1]
    assert 'capstan_reconciles_total{result="succeeded"}' in metrics


def test_signed_webhook_converges_within_seconds_and_bad_signatures_are_refused(ws, controller):
    ws.write("a.yaml", server_manifest("a"))
    push(ws)
    c = controller(poll="300s").start()
    eventually(lambda: running(ws, "a"), 30)

    ws.write("b.yaml", server_manifest("b"))
    push(ws)
    code, _ = c.push_webhook(secret=b"wrong")
    assert code == 401
    time.sleep(2)
    assert not running(ws, "b"), "a badly signed webhook triggers nothing"
    assert 'capstan_webhook_requests_total{result="bad_signature"} 1' in c.get("/metrics")[1]

    start = time.monotonic()
    code, _ = c.push_webhook()
    assert code == 202
    eventually(lambda: running(ws, "b"), 3)
    print(f"signed webhook to running: {time.monotonic() - start:.2f}s")

    # A burst of ten pushes gives one or two reconciles, never ten.
    def reconciles():
        return sum(float(line.rsplit(" ", 1)[1]) for line in c.get("/metrics")[1].splitlines()
                   if line.startswith("capstan_reconciles_total{"))
    time.sleep(1)
    before = reconciles()
    for _ in range(10):
        assert c.push_webhook()[0] == 202
    time.sleep(3)
    assert 1 <= reconciles() - before <= 2


def test_broken_commit_changes_nothing_and_the_next_good_one_recovers(ws, controller):
    ws.write("a.yaml", server_manifest("a", env={"V": "1"}))
    push(ws)
    c = controller().start()
    eventually(lambda: running(ws, "a"), 30)
    before = ws.containers()

    ws.write("a.yaml", server_manifest("a", env={"V": "2"}) + "  transprot: stdio\n")
    push(ws)
    bad = sh("git", "-C", ws.repo, "rev-parse", "HEAD").stdout.strip()
    status = eventually(lambda: (s := c.status()).get("lastAttempt", {}).get("revision") == bad and s, 15)
    assert status["lastAttempt"]["result"] == "invalid"
    assert any(e.startswith("a.yaml:") and 'unknown field "transprot"' in e for e in status["lastAttempt"]["errors"])
    assert status["lastAppliedRevision"] != bad
    assert ws.containers() == before
    # The journal says so too, with the position.
    logged = eventually(lambda: next((l for l in c.output().splitlines() if f"sync invalid at {bad[:12]} (poll): a.yaml:" in l), None), 5)
    assert 'unknown field "transprot"' in logged, logged

    ws.write("a.yaml", server_manifest("a", env={"V": "2"}))
    push(ws)
    good = sh("git", "-C", ws.repo, "rev-parse", "HEAD").stdout.strip()
    eventually(lambda: c.status()["lastAppliedRevision"] == good, 20)
    assert ws.containers()[ws.name("a")][0] != before[ws.name("a")][0]


def test_removed_container_comes_back_and_a_crash_loop_is_stopped(ws, controller):
    ws.write("a.yaml", server_manifest("a"))
    ws.write("crash.yaml", server_manifest("crash", command=["python3", "-c", "raise SystemExit(1)"]))
    push(ws)
    c = controller(poll="300s", extra=["--restart-limit", "3", "--restart-window", "300s"]).start()
    eventually(lambda: running(ws, "a"), 30)

    sh("docker", "rm", "-f", ws.name("a"))
    start = time.monotonic()
    eventually(lambda: running(ws, "a"), 5)
    print(f"removed container back in {time.monotonic() - start:.2f}s")

    looping = eventually(lambda: next((r for r in c.status()["resources"]
                                       if r["address"] == "server.crash" and r["crashLooping"]), None), 60)
    assert looping
    restarts = ws.containers()[ws.name("crash")]
    time.sleep(3)
    assert ws.containers()[ws.name("crash")] == restarts, "a crash-looping server is left alone"
    log = json.loads(ws.run("audit", "log", "--state-dir", ws.state, "-o", "json").stdout)
    starts = [e for e in log if e.get("address") == "server.crash" and e.get("kind") == "start"]
    assert len(starts) == 3
    assert [e["outcome"] for e in log if e.get("address") == "server.crash" and e.get("kind") == "crash-loop"] == ["skipped"]

    # `capstan sync --server` gives it a fresh budget: it is started again.
    sync = ws.run("sync", "--controller", c.url, "--server", "crash", "--admin-token-file", ws.secrets.parent / "admin-token")
    assert sync.returncode == 0, sync.stdout + sync.stderr
    eventually(lambda: len([e for e in json.loads(ws.run("audit", "log", "--state-dir", ws.state, "-o", "json").stdout)
                            if e.get("address") == "server.crash" and e.get("kind") == "start"]) > 3, 15)


def test_sigkill_in_the_middle_of_an_apply_then_restart_converges(ws, controller):
    p = ws.project
    ws.write_project(extra_dockerfile="RUN sleep 4\n", app_suffix=f"# {ws.instance}: no build cache\n")
    ws.write("m.yaml", project_manifest(p, f"projects/{p}") + "---\n" + server_manifest("app", project=p)
             + "---\n" + server_manifest("a") + "---\n" + server_manifest("b"))
    push(ws)
    c = controller(poll="1s").start()
    time.sleep(2)  # builds run first: the image build (RUN sleep 4) is under way
    c.stop(signal.SIGKILL)
    c2 = controller(poll="1s").start()
    eventually(lambda: running(ws, "app") and running(ws, "a") and running(ws, "b"), 60)
    names = list(ws.containers())
    assert sorted(names) == sorted([ws.name("app"), ws.name("a"), ws.name("b")]), names
    verify = ws.run("audit", "verify", "--state-dir", ws.state)
    assert verify.returncode == 0, verify.stdout


def test_unreachable_remote_keeps_the_last_good_revision_and_recovers(ws, controller, remote):
    ws.write("a.yaml", server_manifest("a"))
    push(ws)
    c = controller().start()
    eventually(lambda: running(ws, "a"), 30)
    # The container runs a moment before the first attempt is recorded; a status without one
    # has no "lastAttempt" key.
    eventually(lambda: c.status().get("lastAttempt", {}).get("result") == "succeeded", 15)
    hidden = remote.parent / "remote-away.git"
    remote.rename(hidden)
    status = eventually(lambda: (s := c.status()).get("lastAttempt", {}).get("result") == "fetch_failed" and s, 15)
    assert status["lastAttempt"]["errors"]
    assert 'capstan_git_fetch_errors_total' in c.get("/metrics")[1]
    assert running(ws, "a")
    hidden.rename(remote)
    ws.write("b.yaml", server_manifest("b"))
    push(ws)
    eventually(lambda: running(ws, "b"), 30)


def test_git_daemon_remote(ws, controller, remote):
    port = free_port()
    daemon = subprocess.Popen(["git", "daemon", "--reuseaddr", f"--base-path={remote.parent}", "--export-all",
                               "--listen=127.0.0.1", f"--port={port}", str(remote.parent)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        ws.write("a.yaml", server_manifest("a"))
        push(ws)
        eventually(lambda: subprocess.run(["git", "ls-remote", f"git://127.0.0.1:{port}/remote.git"],
                                          capture_output=True).returncode == 0, 10)
        controller(url=f"git://127.0.0.1:{port}/remote.git").start()
        eventually(lambda: running(ws, "a"), 30)
    finally:
        daemon.terminate()
        daemon.wait()


def test_second_controller_on_the_same_state_is_refused(ws, controller):
    ws.write("a.yaml", server_manifest("a"))
    push(ws)
    controller().start()
    second = controller()
    r = subprocess.run(second.args, capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    assert "another capstan controller holds this state directory" in r.stdout + r.stderr


def test_notifications_are_signed_and_sent_once_per_change_of_state(ws, controller, tmp_path):
    import http.server
    import threading

    received = []
    secret = b"notify-secret"

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.headers.get("X-Capstan-Signature-256"), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        (tmp_path / "notify-secret").write_bytes(secret)
        ws.write("a.yaml", server_manifest("a"))
        push(ws)
        c = controller(extra=["--notify-url", f"http://127.0.0.1:{server.server_port}/hook",
                              "--notify-secret-file", str(tmp_path / "notify-secret")]).start()
        eventually(lambda: running(ws, "a"), 30)
        assert received == [], "a first success is not news"

        ws.write("a.yaml", server_manifest("a") + "  transprot: stdio\n")
        push(ws)
        eventually(lambda: len(received) >= 1, 15)
        time.sleep(3)  # several more polls of the same bad commit
        ws.write("a.yaml", server_manifest("a"))
        push(ws)
        eventually(lambda: len(received) >= 2, 15)
        time.sleep(2)
        events = []
        for signature, body in received:
            assert signature == "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
            events.append(json.loads(body))
        assert [e["event"] for e in events] == ["sync_failed", "recovered"]
        assert any('unknown field "transprot"' in err for err in events[0]["errors"])
    finally:
        server.shutdown()


def test_sigterm_lets_the_apply_in_flight_finish(ws, controller):
    p = ws.project
    ws.write_project(extra_dockerfile="RUN sleep 3\n", app_suffix=f"# {ws.instance}: no build cache\n")
    ws.write("m.yaml", project_manifest(p, f"projects/{p}") + "---\n" + server_manifest("app", project=p))
    push(ws)
    c = controller(poll="300s").start()
    time.sleep(1.5)  # the build (RUN sleep 3) is under way
    c.proc.send_signal(signal.SIGTERM)
    assert c.proc.wait(timeout=60) == 0, c.output()
    assert running(ws, "app"), "the reconcile in flight completed before the controller exited"
    log = json.loads(ws.run("audit", "log", "--state-dir", ws.state, "-o", "json").stdout)
    assert [e["type"] for e in log][-1] == "run" and log[-1]["result"] == "succeeded"
    assert ws.run("audit", "verify", "--state-dir", ws.state).returncode == 0
