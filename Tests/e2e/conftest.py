"""End-to-end tests of `capstan plan/apply/status/audit` against the real Docker engine.

Every test gets its own instance name, git repository, state directory and secrets directory,
and removes the containers of its instance afterwards. Containers use network "none".
"""
import json
import os
import pathlib
import signal
import socket
import subprocess
import time
import uuid

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
BASE_IMAGE = "python:3.11-slim-bookworm"
SLEEPER = ["python3", "-c", "import time; time.sleep(1000000)"]


def sh(*args, check=True, timeout=300, **kw) -> subprocess.CompletedProcess:
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} exited {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r


@pytest.fixture(scope="session", autouse=True)
def engine_and_base_image():
    assert os.environ.get("DOCKER_HOST"), "run through `make test`, which starts the engine and exports DOCKER_HOST"
    sh(REPO / "scripts" / "python-base-image.sh", timeout=900)


@pytest.fixture(scope="session")
def capstan_bin() -> str:
    path = os.environ.get("CAPSTAN_BIN", str(REPO / ".build" / "debug" / "capstan"))
    assert os.access(path, os.X_OK), f"capstan not built at {path}"
    return path


class Workspace:
    """A manifest repository in git, plus the state and secrets directories of one test."""

    def __init__(self, root: pathlib.Path, capstan: str):
        self.capstan_bin = capstan
        self.instance = "t" + uuid.uuid4().hex[:10]
        self.repo = root / "repo"
        self.state = root / "state"
        self.secrets = root / "secrets"
        self.repo.mkdir()
        self.secrets.mkdir()
        (self.repo / "capstan.yaml").write_text(f"instance: {self.instance}\n")
        sh("git", "init", "-q", "-b", "main", self.repo)

    def write(self, path: str, text: str) -> None:
        p = self.repo / path
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)

    def remove(self, path: str) -> None:
        (self.repo / path).unlink()

    def commit(self, message: str = "change") -> str:
        sh("git", "-C", self.repo, "add", "-A")
        sh("git", "-C", self.repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid",
           "commit", "-q", "--allow-empty", "-m", message)
        return sh("git", "-C", self.repo, "rev-parse", "HEAD").stdout.strip()

    def run(self, *args, check=False, timeout=600) -> subprocess.CompletedProcess:
        return sh(self.capstan_bin, *args, check=check, timeout=timeout)

    def source(self) -> list:
        return ["--repo", self.repo, "--ref", "main", "--state-dir", self.state, "--secrets-dir", self.secrets]

    def plan(self, *extra) -> subprocess.CompletedProcess:
        return self.run("plan", *self.source(), *extra)

    def plan_json(self) -> dict:
        r = self.plan("-o", "json")
        assert r.returncode == 0, r.stdout + r.stderr
        return json.loads(r.stdout)

    def apply(self, *extra) -> subprocess.CompletedProcess:
        return self.run("apply", *self.source(), "--auto-approve", *extra)

    def containers(self) -> dict:
        """Container name → (id, state) for this test's instance."""
        out = sh("docker", "ps", "-a", "--filter", f"label=capstan.instance={self.instance}",
                 "--format", "{{.Names}} {{.ID}} {{.State}}").stdout.split("\n")
        return {parts[0]: (parts[1], parts[2]) for parts in (line.split() for line in out if line.strip())}

    def name(self, server: str) -> str:
        return f"{self.instance}-{server}"

    @property
    def project(self) -> str:
        """This test's Project name: images are shared by tag across instances, so each test
        builds its own project and removes its images afterwards."""
        return self.instance

    def write_project(self, extra_dockerfile: str = "", app_suffix: str = "") -> None:
        self.write(f"projects/{self.project}/Dockerfile", SLEEPY_DOCKERFILE + extra_dockerfile)
        self.write(f"projects/{self.project}/app.py", SLEEPY_APP + app_suffix)

    def cleanup(self) -> None:
        ids = sh("docker", "ps", "-aq", "--filter", f"label=capstan.instance={self.instance}").stdout.split()
        # In small batches: one `docker rm -f` of a thousand ids deadlocked Docker 20.10's
        # network code for the whole engine (the CLI removes 50 at once).
        for i in range(0, len(ids), 10):
            sh("docker", "rm", "-f", *ids[i:i + 10], check=False)
        images = sh("docker", "images", "-q", "--filter", f"label=capstan.project={self.project}").stdout.split()
        if images:
            sh("docker", "rmi", "-f", *set(images), check=False)


@pytest.fixture
def ws(tmp_path, capstan_bin):
    w = Workspace(tmp_path, capstan_bin)
    yield w
    w.cleanup()


def server_manifest(name: str, *, project: str | None = None, command=SLEEPER, env=None, extra: str = "") -> str:
    """A Server running `project`'s image, or the base image with `command`."""
    lines = ["apiVersion: capstan/v1", "kind: Server", f"metadata: {{name: {name}}}", "spec:"]
    lines.append(f"  project: {project}" if project else f"  image: {BASE_IMAGE}")
    if command and not project:
        lines.append(f"  command: {json.dumps(command)}")
    if env:
        lines.append(f"  env: {json.dumps(env)}")
    return "\n".join(lines) + ("\n" + extra.rstrip("\n") if extra else "") + "\n"


def project_manifest(name: str, context: str) -> str:
    return f"apiVersion: capstan/v1\nkind: Project\nmetadata: {{name: {name}}}\nspec: {{context: {context}}}\n"


SLEEPY_DOCKERFILE = "FROM python:3.11-slim-bookworm\nCOPY app.py /app.py\nCMD [\"python3\", \"/app.py\"]\n"
SLEEPY_APP = "import time\nprint('started', flush=True)\ntime.sleep(1000000)\n"


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process(proc: subprocess.Popen, sig=signal.SIGINT, grace: float = 10) -> None:
    """Sends `sig` to a process still running, then SIGKILL if it has not exited within `grace` seconds."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def eventually(check, timeout: float, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"not true within {timeout}s (last: {last!r})")


# --- Reliability scenarios (issue 7) -------------------------------------------------------
# `make test` runs every scenario in its short form; `make reliability` sets
# CAPSTAN_RELIABILITY=full (more iterations, more clients) and CAPSTAN_RELIABILITY_OUT to a file
# that collects one JSON line per scenario, from which scripts/reliability.py writes
# docs/RELIABILITY.md.

FULL = os.environ.get("CAPSTAN_RELIABILITY") == "full"


def scale(short, full):
    """The short form's figure in `make test`, the full one under `make reliability`."""
    return full if FULL else short


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.reliability_outcome = report.outcome


@pytest.fixture
def reliability(request):
    """`record(scenario, injected, outcome, **numbers)`: one row of docs/RELIABILITY.md.

    `scenario` names what is tested, `injected` the fault or input, `outcome` what Capstan did
    (in words), `numbers` the measured figures (calls made, rows recorded, seconds to converge…).
    The row is written after the test with whether it passed, so a failing scenario shows up as
    failed in the table rather than not at all."""
    rows = []

    def record(scenario: str, injected: str, outcome: str, **numbers):
        rows.append({"scenario": scenario, "injected": injected, "outcome": outcome, "numbers": numbers})

    yield record
    out = os.environ.get("CAPSTAN_RELIABILITY_OUT")
    if out:
        passed = getattr(request.node, "reliability_outcome", "failed") == "passed"
        with open(out, "a") as f:
            for row in rows or [{"scenario": request.node.name, "injected": "", "outcome": "", "numbers": {}}]:
                row.update(test=request.node.nodeid, passed=passed, full=FULL)
                f.write(json.dumps(row) + "\n")
