#!/usr/bin/env python3
"""Controller benchmarks against the real engine (docs/benchmarks.md):

  1. signed webhook to converged, for a change that needs no image build (an env change of one of
     50 servers, so one container is replaced): median of 10 pushes;
  2. idle controller with those 50 servers running and a 30 s poll: CPU over 60 s, and resident
     memory sampled every 5 s.

Usage: DOCKER_HOST=... .venv/bin/python scripts/bench_controller.py [path/to/capstan]
"""
import hashlib
import hmac
import json
import os
import pathlib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

CAPSTAN = sys.argv[1] if len(sys.argv) > 1 else str(pathlib.Path(__file__).resolve().parents[1] / ".build/release/capstan")
SECRET = b"bench-secret"
SERVERS = 50


def sh(*args):
    subprocess.run([str(a) for a in args], check=True, capture_output=True)


def manifests(level: int) -> str:
    docs = []
    for i in range(SERVERS):
        env = f"\n  env: {{LEVEL: \"{level}\"}}" if i == 0 else ""
        docs.append(f"apiVersion: capstan/v1\nkind: Server\nmetadata: {{name: s{i}}}\nspec:\n  image: python:3.11-slim-bookworm\n"
                    f"  command: [\"python3\", \"-c\", \"import time; time.sleep(1000000)\"]{env}\n")
    return "---\n".join(docs)


def container_id(name: str) -> str:
    return subprocess.run(["docker", "ps", "-q", "--filter", f"name=^{name}$"], capture_output=True, text=True).stdout.strip()


def main():
    work = pathlib.Path(tempfile.mkdtemp(prefix="capstan-ctl-bench-"))
    repo, bare = work / "repo", work / "remote.git"
    repo.mkdir()
    sh("git", "init", "-q", "--bare", "-b", "main", bare)
    sh("git", "init", "-q", "-b", "main", repo)
    (repo / "capstan.yaml").write_text("instance: ctlbench\n")
    (repo / "servers.yaml").write_text(manifests(0))

    def push(message):
        sh("git", "-C", repo, "add", "-A")
        sh("git", "-C", repo, "-c", "user.name=b", "-c", "user.email=b@example.invalid", "commit", "-qm", message)
        sh("git", "-C", repo, "push", "-q", "--force", str(bare), "main")

    push("start")
    (work / "secret").write_bytes(SECRET)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([CAPSTAN, "controller", "--repo", f"file://{bare}", "--branch", "main",
                             "--state-dir", work / "state", "--listen", f"127.0.0.1:{port}", "--gateway-listen", "127.0.0.1:0", "--poll-interval", "30s",
                             "--webhook-secret-file", work / "secret"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 180
        while len(subprocess.run(["docker", "ps", "-q", "--filter", "label=capstan.instance=ctlbench"],
                                 capture_output=True, text=True).stdout.split()) < SERVERS:
            assert time.monotonic() < deadline, "50 servers did not converge"
            time.sleep(0.5)

        latencies = []
        for level in range(1, 11):
            before = container_id("ctlbench-s0")
            (repo / "servers.yaml").write_text(manifests(level))
            push(f"level {level}")
            body = json.dumps({"ref": "refs/heads/main"}).encode()
            sig = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
            request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/webhook", data=body, method="POST",
                                             headers={"X-GitHub-Event": "push", "X-Hub-Signature-256": sig})
            start = time.monotonic()
            urllib.request.urlopen(request, timeout=5).read()
            while True:
                now = container_id("ctlbench-s0")
                if now and now != before:
                    break
                time.sleep(0.02)
            latencies.append(time.monotonic() - start)
            time.sleep(1.5)  # let the drift events of the replace settle
        print(f"webhook to converged (one of {SERVERS} servers replaced, no build): median {statistics.median(latencies)*1000:.0f} ms, "
              f"min {min(latencies)*1000:.0f} ms, max {max(latencies)*1000:.0f} ms over {len(latencies)} pushes")

        time.sleep(5)
        ticks = os.sysconf("SC_CLK_TCK")

        def cpu():
            fields = pathlib.Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / ticks

        def rss_mib():
            for line in pathlib.Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024

        c0, t0, rss = cpu(), time.monotonic(), []
        for _ in range(12):
            time.sleep(5)
            rss.append(rss_mib())
        used = (cpu() - c0) / (time.monotonic() - t0)
        print(f"idle with {SERVERS} servers, 30 s poll, over 60 s: {used*100:.2f}% of one core; "
              f"RSS {rss[0]:.1f} MiB -> {rss[-1]:.1f} MiB (min {min(rss):.1f}, max {max(rss):.1f})")
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        ids = subprocess.run(["docker", "ps", "-aq", "--filter", "label=capstan.instance=ctlbench"], capture_output=True, text=True).stdout.split()
        if ids:
            subprocess.run(["docker", "rm", "-f", *ids], capture_output=True)


if __name__ == "__main__":
    main()
