"""Fault injection against apply and the controller (issue 7): the Docker engine stopped in the
middle of an apply, the controller SIGKILLed at random points, the git remote deleted and its
branch rewritten, the audit store's filesystem full.

Every scenario ends with the same check: the test instance's containers are exactly the ones
the repository names, one each, running, `capstan plan` finds nothing to do, and the audit
chain verifies.
"""
import datetime
import errno
import json
import os
import pathlib
import random
import re
import shutil
import signal
import subprocess
import time
import uuid

import pytest

from conftest import BASE_IMAGE, REPO, eventually, project_manifest, scale, server_manifest, sh
from test_controller import controller, push, remote, running  # noqa: F401  (fixtures)


def head(ws) -> str:
    return sh("git", "-C", ws.repo, "rev-parse", "HEAD").stdout.strip()


def applied(c):
    """The controller's last applied revision (the status leaves out what it does not know)."""
    return c.status().get("lastAppliedRevision")


def attempt(status: dict) -> dict:
    return status.get("lastAttempt") or {}


def containers_on(ws, docker_host: str) -> dict:
    """Container name → (state, server label) of the test's instance on one engine."""
    out = sh("docker", "-H", docker_host, "ps", "-a", "--filter", f"label=capstan.instance={ws.instance}",
             "--format", '{{.Names}} {{.State}} {{.Label "capstan.name"}}').stdout
    return {n: (state, server) for n, state, server in (line.split() for line in out.splitlines() if line.strip())}


def assert_converged(ws, servers, docker_host=None):
    """Exactly the named servers' containers, one each under its own name, running, and a plan
    with nothing to do (`plan --detailed-exitcode` exits 0 only when no action is pending)."""
    host = docker_host or os.environ["DOCKER_HOST"]
    found = containers_on(ws, host)
    assert sorted(found) == sorted(ws.name(s) for s in servers), found
    assert all(state == "running" for state, _ in found.values()), found
    labels = [server for _, server in found.values()]
    assert len(labels) == len(set(labels)), f"duplicate containers of one server: {found}"
    env = dict(os.environ, DOCKER_HOST=host)
    plan = sh(ws.capstan_bin, "plan", *ws.source(), "--detailed-exitcode", check=False, env=env)
    assert plan.returncode == 0, plan.stdout + plan.stderr


def audit_verified(ws) -> int:
    """`capstan audit verify` passes; returns how many rows the chain holds."""
    r = ws.run("audit", "verify", "--state-dir", ws.state)
    assert r.returncode == 0, r.stdout + r.stderr
    m = re.search(r"Audit chain intact: (\d+) entr", r.stdout)
    assert m, r.stdout
    return int(m.group(1))


def audit_log(ws) -> list:
    r = ws.run("audit", "log", "--state-dir", ws.state, "-o", "json")
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout)


# --- 1. The Docker engine stopped in the middle of an apply -------------------------------

class DedicatedEngine:
    """A dockerd of this test's own (scripts/docker-engine.sh with its own socket, data root and
    log), so that stopping it leaves the shared test engine alone."""

    def __init__(self):
        tag = uuid.uuid4().hex[:8]
        self.run_dir = pathlib.Path(f"/run/capstan-faults-{tag}")
        self.root = pathlib.Path(f"/var/lib/capstan-faults-{tag}")
        self.sock = self.run_dir / "docker.sock"
        self.host = f"unix://{self.sock}"
        self.env = {k: v for k, v in os.environ.items() if k != "DOCKER_HOST"}  # or the script reuses that engine
        self.env.update(CAPSTAN_DOCKER_ROOT=str(self.root), CAPSTAN_DOCKER_SOCK=str(self.sock),
                        CAPSTAN_DOCKER_LOG=str(self.run_dir / "dockerd.log"))

    def create(self):
        # The data root is a tmpfs: loading the base image and removing the root afterwards
        # take a few seconds instead of half a minute of disk writes and unlinks.
        self.root.mkdir(parents=True)
        sh("mount", "-t", "tmpfs", "-o", "size=2g,mode=0700", "tmpfs", self.root)
        self.start()
        self.load_base_image()

    def start(self) -> float:
        started = time.monotonic()
        out = sh(REPO / "scripts" / "docker-engine.sh", env=self.env, timeout=180).stdout
        assert out.strip().splitlines()[-1] == f"export DOCKER_HOST={self.host}", out
        return time.monotonic() - started

    def load_base_image(self):
        save = subprocess.Popen(["docker", "save", BASE_IMAGE], stdout=subprocess.PIPE)
        load = subprocess.run(["docker", "-H", self.host, "load", "-q"], stdin=save.stdout, capture_output=True, timeout=300)
        save.stdout.close()
        assert save.wait(timeout=60) == 0 and load.returncode == 0, load.stderr

    def dockerd_pid(self) -> int:
        return int((self.run_dir / "dockerd.pid").read_text())

    def kill(self):
        pid = self.dockerd_pid()
        os.kill(pid, signal.SIGKILL)
        eventually(lambda: not pathlib.Path(f"/proc/{pid}").exists() or _zombie(pid), 10)

    def answers(self) -> bool:
        return sh("docker", "-H", self.host, "version", check=False, timeout=15).returncode == 0

    def destroy(self):
        """Stops the engine and removes its data root, whatever state it is in."""
        if self.answers():
            ids = sh("docker", "-H", self.host, "ps", "-aq", check=False).stdout.split()
            if ids:
                sh("docker", "-H", self.host, "rm", "-f", *ids, check=False)
        sh(REPO / "scripts" / "docker-engine.sh", "stop", env=self.env, check=False, timeout=120)
        # A SIGKILLed dockerd can leave its containerd or shims behind: end those, by pid, that
        # run from this engine's own directories.
        for pid in _pids_mentioning(str(self.run_dir), str(self.root)):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for mount in reversed(_mounts_under(self.run_dir, self.root)):  # the data root's tmpfs last
            if subprocess.run(["umount", mount], capture_output=True).returncode != 0:
                subprocess.run(["umount", "-l", mount], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.rmtree(self.run_dir, ignore_errors=True)


def _zombie(pid: int) -> bool:
    try:
        return pathlib.Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True


def _pids_mentioning(*paths: str) -> list:
    pids = []
    for proc in pathlib.Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if any(p in cmdline for p in paths):
            pids.append(int(proc.name))
    return pids


def _mounts_under(*dirs: pathlib.Path) -> list:
    points = [line.split()[1] for line in pathlib.Path("/proc/self/mounts").read_text().splitlines()]
    return [p for p in points if any(p == str(d) or p.startswith(str(d) + "/") for d in dirs)]


@pytest.fixture
def dedicated_engine():
    engine = DedicatedEngine()
    try:
        engine.create()
        yield engine
    finally:
        engine.destroy()


def test_engine_stopped_in_the_middle_of_an_apply_fails_clearly_and_the_next_apply_converges(ws, dedicated_engine, reliability):
    engine = dedicated_engine
    env = dict(os.environ, DOCKER_HOST=engine.host)
    p = ws.project
    ws.write_project(extra_dockerfile="RUN sleep 3\n", app_suffix=f"# {ws.instance}: no build cache\n")
    ws.write("m.yaml", project_manifest(p, f"projects/{p}") + "---\n" + server_manifest("app", project=p)
             + "---\n" + server_manifest("a") + "---\n" + server_manifest("b"))
    ws.commit()

    apply = subprocess.Popen([ws.capstan_bin, "apply", *map(str, ws.source()), "--auto-approve"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        # The classic builder runs `RUN sleep 3` in a container: while it exists, the apply is
        # in the middle of its build, before any server container.
        eventually(lambda: sh("docker", "-H", engine.host, "ps", "-q", check=False).stdout.strip(), 30)
        engine.kill()
        killed_at = time.monotonic()
        out, _ = apply.communicate(timeout=60)
    finally:
        if apply.poll() is None:
            apply.kill()
            apply.wait()
    seconds_to_fail = time.monotonic() - killed_at
    assert apply.returncode == 1, f"exit {apply.returncode}\n{out}"  # an error, neither a crash nor a signal
    # The failures name the engine, not libcurl's "localhost port 80".
    assert "build FAILED" in out and re.search(r"no answer from the Docker engine \(POST /v[\d.]+/build", out), out
    assert "localhost port 80" not in out, out
    assert "Fatal error" not in out and "Stack dump" not in out, out

    time.sleep(2)  # the engine stays down a moment, as a restarted dockerd would
    restart_seconds = engine.start()
    start = time.monotonic()
    second = sh(ws.capstan_bin, "apply", *ws.source(), "--auto-approve", env=env, check=False, timeout=300)
    assert second.returncode == 0, second.stdout + second.stderr
    converge_seconds = time.monotonic() - start
    assert_converged(ws, ["app", "a", "b"], docker_host=engine.host)
    rows = audit_verified(ws)
    runs = [e["result"] for e in audit_log(ws) if e["type"] == "run"]
    assert runs == ["failed", "succeeded"], runs

    print(f"apply failed {seconds_to_fail:.1f}s after dockerd was killed; engine back in {restart_seconds:.1f}s; "
          f"converged {converge_seconds:.1f}s later")
    reliability(scenario="Docker engine killed in the middle of an apply (during an image build), restarted 2 s later",
                injected="SIGKILL of a dedicated dockerd while `capstan apply` builds a project image",
                outcome="apply exits 1 with 'no answer from the Docker engine' and records a failed run; the next apply converges "
                        "with no duplicate container and an intact audit chain",
                applies=2, kills=1, seconds_apply_took_to_fail=round(seconds_to_fail, 2),
                seconds_engine_restart=round(restart_seconds, 2), seconds_to_converge=round(converge_seconds, 2),
                audit_rows=rows)


# --- 2. The controller SIGKILLed at random points of consecutive applies ------------------

SEED = int(os.environ.get("CAPSTAN_FAULT_SEED", "20250707"))


def test_controller_killed_at_random_points_of_consecutive_applies_converges(ws, controller, reliability):
    rng = random.Random(SEED)
    print(f"seed {SEED} (set CAPSTAN_FAULT_SEED to replay)")
    rounds = scale(3, 10)
    servers = {"s0": "0", "s1": "0"}  # server → its env value
    next_index = 2

    def write_servers():
        for f in ws.repo.glob("s*.yaml"):
            f.unlink()
        for name, value in servers.items():
            ws.write(f"{name}.yaml", server_manifest(name, env={"V": value}))

    write_servers()
    push(ws)
    c = controller(poll="300s").start()
    eventually(lambda: applied(c) == head(ws), 30)

    kills, interrupted = 0, 0
    for r in range(1, rounds + 1):
        # Every round replaces one server (new env) and adds or removes another.
        servers[rng.choice(sorted(servers))] = str(r)
        if len(servers) < 4 and (len(servers) < 2 or rng.random() < 0.5):
            servers[f"s{next_index}"] = "0"
            next_index += 1
        else:
            del servers[rng.choice(sorted(servers))]
        write_servers()
        push(ws)
        # The webhook settles 0.3 s; the apply then runs for about 0.8 s (a create and a replace).
        delay = rng.uniform(0.2, 1.2)
        assert c.push_webhook()[0] == 202
        time.sleep(delay)
        c.stop(signal.SIGKILL)
        kills += 1
        plan = ws.plan("--detailed-exitcode")
        assert plan.returncode in (0, 2), plan.stdout + plan.stderr
        pending = plan.returncode == 2
        interrupted += pending
        print(f"round {r}: killed {delay:.2f}s after the webhook, {'changes still pending' if pending else 'apply had finished'}")
        c = controller(poll="300s").start()

    start = time.monotonic()
    eventually(lambda: applied(c) == head(ws) and ws.plan("--detailed-exitcode").returncode == 0, 60, interval=0.3)
    converge_seconds = time.monotonic() - start
    assert_converged(ws, sorted(servers))
    rows = audit_verified(ws)
    runs = [e for e in audit_log(ws) if e["type"] == "run"]
    # A killed run leaves no run row, only its actions; every run that finished succeeded: a
    # temporary container left by a killed replace never blocks the next replace.
    assert {r["result"] for r in runs} <= {"succeeded", "noop"}, [r["result"] for r in runs]
    print(f"{kills} kills, {interrupted} with changes pending; converged {converge_seconds:.1f}s after the last restart")
    reliability(scenario=f"Controller SIGKILLed at random points of {rounds} consecutive applies (seed {SEED})",
                injected="each round: a commit replacing one server and adding or removing another, a signed webhook, "
                         "SIGKILL 0.2–1.2 s later, restart",
                outcome="every restart resumes from the observed state; converges to the last commit with no duplicate "
                        "or orphaned container and an intact audit chain",
                applies_attempted=rounds, kills=kills, kills_with_changes_pending=interrupted,
                seconds_to_converge=round(converge_seconds, 2), audit_runs=len(runs), audit_rows=rows)


# --- 3. The git remote deleted, restored, and its branch rewritten -------------------------

def fetch_errors(c) -> float:
    for line in c.get("/metrics")[1].splitlines():
        if line.startswith("capstan_git_fetch_errors_total"):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_deleted_remote_keeps_containers_and_a_rewritten_branch_converges(ws, controller, remote, reliability):
    ws.write("a.yaml", server_manifest("a"))
    ws.write("b.yaml", server_manifest("b"))
    push(ws)
    c = controller(poll="1s").start()
    eventually(lambda: applied(c) == head(ws), 30)
    before = ws.containers()

    backup = remote.parent / "remote-backup.git"
    shutil.copytree(remote, backup)
    shutil.rmtree(remote)
    gone = time.monotonic()
    status = eventually(lambda: attempt(s := c.status()).get("result") == "fetch_failed" and s, 15)
    assert status["lastAttempt"]["errors"], status
    eventually(lambda: fetch_errors(c) >= scale(3, 10), 30)  # several polls while it is gone
    assert ws.containers() == before, "a missing remote touches no container"
    assert applied(c) == head(ws)
    failed_fetches = fetch_errors(c)

    shutil.copytree(backup, remote)
    restored = time.monotonic()
    eventually(lambda: attempt(c.status()).get("result") == "succeeded", 15)
    resync_seconds = time.monotonic() - restored
    assert ws.containers() == before

    # A force-push to a commit with no common history and other servers.
    sh("git", "-C", ws.repo, "checkout", "-q", "--orphan", "rewritten")
    sh("git", "-C", ws.repo, "rm", "-rq", "--cached", ".")
    for f in ("a.yaml", "b.yaml"):
        ws.remove(f)
    ws.write("x.yaml", server_manifest("x"))
    ws.write("y.yaml", server_manifest("y", env={"K": "v"}))
    ws.commit("rewritten history")
    sh("git", "-C", ws.repo, "branch", "-M", "rewritten", "main")
    sh("git", "-C", ws.repo, "push", "-q", "--force", "origin", "main")
    rewritten = head(ws)
    assert sh("git", "-C", ws.repo, "merge-base", rewritten, status.get("lastAppliedRevision"), check=False).returncode == 1
    pushed = time.monotonic()
    eventually(lambda: applied(c) == rewritten, 30)
    rewrite_seconds = time.monotonic() - pushed
    assert_converged(ws, ["x", "y"])
    rows = audit_verified(ws)
    print(f"{failed_fetches:.0f} failed fetches; synced {resync_seconds:.1f}s after the restore; "
          f"rewritten branch converged in {rewrite_seconds:.1f}s")
    reliability(scenario="Git remote deleted, restored, then its branch force-pushed to unrelated history",
                injected="remote directory removed for several polls; restored; force-push of an orphan commit "
                         "with other servers",
                outcome="status reports fetch_failed while the containers keep running untouched; syncs after the "
                        "restore; converges to the rewritten branch (old servers removed, new ones running)",
                failed_fetches=int(failed_fetches), seconds_remote_missing=round(restored - gone, 2),
                seconds_to_sync_after_restore=round(resync_seconds, 2),
                seconds_to_converge_after_force_push=round(rewrite_seconds, 2), audit_rows=rows)


# --- 4. The audit store's filesystem full ---------------------------------------------------

@pytest.fixture
def audit_tmpfs(ws):
    """A 4 MiB tmpfs that holds the audit store (state/audit.db links into it); unmounted after
    the controller, which the test requests after this fixture, has stopped."""
    mount = ws.state.parent / "auditfs"
    mount.mkdir()
    sh("mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", mount)
    try:
        ws.state.mkdir()
        (ws.state / "audit.db").symlink_to(mount / "audit.db")
        yield mount
    finally:
        if sh("umount", mount, check=False).returncode != 0:
            sh("umount", "-l", mount, check=False)


def fill(directory: pathlib.Path) -> int:
    """Writes zeros until the filesystem is full; returns the bytes written."""
    written = 0
    with open(directory / "filler", "wb", buffering=0) as f:
        for size in (65536, 4096, 1):  # smaller pieces fill what a bigger one could not
            while True:
                try:
                    n = f.write(b"\0" * size)
                except OSError as e:
                    assert e.errno == errno.ENOSPC, e
                    break
                if not n:
                    break
                written += n
    return written


def recorded_at(entry: dict) -> float:
    return datetime.datetime.fromisoformat(entry["recordedAt"].replace("Z", "+00:00")).timestamp()


def reconciles(c, result: str) -> float:
    prefix = f'capstan_reconciles_total{{result="{result}"}} '
    return next((float(line[len(prefix):]) for line in c.get("/metrics")[1].splitlines() if line.startswith(prefix)), 0.0)


def test_full_audit_filesystem_applies_nothing_and_resumes_when_space_returns(ws, audit_tmpfs, controller, reliability):
    ws.write("a.yaml", server_manifest("a"))
    push(ws)
    c = controller(poll="1s").start()
    eventually(lambda: applied(c) == head(ws), 30)
    assert (audit_tmpfs / "audit.db-wal").exists(), "the store and its WAL live on the small filesystem"

    filled = fill(audit_tmpfs)
    full_since = time.time()
    ws.write("b.yaml", server_manifest("b"))
    push(ws)
    wanted = head(ws)
    status = eventually(lambda: attempt(s := c.status()).get("revision") == wanted
                        and attempt(s).get("result") == "audit_unavailable" and s, 15)
    error = attempt(status)["errors"][0]
    assert error.startswith("nothing was applied: the filesystem of the audit store"), error
    assert "free some space" in error, error
    assert [r["inSync"] for r in status["resources"] if r["address"] == "server.b"] == [False], status["resources"]
    refused = reconciles(c, "audit_unavailable")
    eventually(lambda: reconciles(c, "audit_unavailable") >= refused + scale(3, 10), 30)  # more polls, still refused
    assert ws.name("b") not in ws.containers(), "nothing is applied while the store cannot record it"
    assert applied(c) != wanted
    refusals = reconciles(c, "audit_unavailable")
    # Reading the store needs no room: an operator can look while the disk is full.
    while_full = ws.run("audit", "verify", "--state-dir", ws.state)
    assert while_full.returncode == 0 and "intact" in while_full.stdout, while_full.stdout + while_full.stderr
    assert ws.run("audit", "log", "--state-dir", ws.state, "-o", "json").returncode == 0

    full_until = time.time()
    (audit_tmpfs / "filler").unlink()
    freed = time.monotonic()
    eventually(lambda: applied(c) == wanted and running(ws, "b"), 30)
    resume_seconds = time.monotonic() - freed
    assert_converged(ws, ["a", "b"])
    rows = audit_verified(ws)
    log = audit_log(ws)
    # A write already under way when the disk filled may land in the first moment; none after.
    written_while_full = [e for e in log if full_since + 1 < recorded_at(e) < full_until]
    assert written_while_full == [], written_while_full
    runs = [e for e in log if e["type"] == "run" and e["revision"] == wanted]
    assert [r["result"] for r in runs][:1] == ["succeeded"] and all(r["result"] == "noop" for r in runs[1:]), runs
    assert any(e.get("address") == "server.b" and e.get("kind") == "create" and e["outcome"] == "succeeded"
               and e["runID"] == runs[0]["runID"] for e in log), "the apply that resumed is on record"
    print(f"{refusals:.0f} refused reconciles; resumed {resume_seconds:.1f}s after space returned")
    reliability(scenario="Audit store's filesystem full (4 MiB tmpfs filled with zeros)",
                injected="a commit adding a server while the filesystem under audit.db has no free space",
                outcome="status reports audit_unavailable ('nothing was applied…'); no container is created and no "
                        "row written while full; when space returns the server runs and its run is recorded; chain intact",
                filler_bytes=filled, refused_reconciles=int(refusals), rows_written_while_full=len(written_while_full),
                seconds_full=round(full_until - full_since, 2),
                seconds_to_converge_after_space_returns=round(resume_seconds, 2), audit_rows=rows)
