"""Secrets never leak, containers are hardened, the audit chain detects tampering, and real MCP
servers run as capstan deploys them."""
import json
import os
import sqlite3
import subprocess
import sys
import uuid

from conftest import REPO, server_manifest, sh


def test_canary_secret_never_appears_outside_the_container(ws, tmp_path):
    canary = "CANARY-" + uuid.uuid4().hex
    (ws.secrets / "api-key").write_text(canary + "\n")
    extra = "  secrets:\n    - {env: API_KEY, secret: api-key}"
    ws.write("servers.yaml", server_manifest("a", extra=extra))
    ws.commit()

    outputs = [ws.plan(), ws.plan("-o", "json"), ws.plan("-out", tmp_path / "p.plan"), ws.apply(), ws.run(
        "status", *ws.source()), ws.run("audit", "log", "--state-dir", ws.state, "-o", "json")]
    for r in outputs:
        assert r.returncode == 0, r.stdout + r.stderr
        assert canary not in r.stdout and canary not in r.stderr
    assert canary not in (tmp_path / "p.plan").read_text()

    labels = sh("docker", "inspect", ws.name("a"), "--format", "{{json .Config.Labels}}").stdout
    assert canary not in labels and "capstan.spec-hash" in labels
    env = json.loads(sh("docker", "inspect", ws.name("a"), "--format", "{{json .Config.Env}}").stdout)
    assert f"API_KEY={canary}" in env, "the secret does reach the container"
    assert canary not in sh("docker", "logs", ws.name("a")).stdout

    for f in ws.state.rglob("*"):
        if f.is_file():
            assert canary.encode() not in f.read_bytes(), f"secret found in {f}"

    # A changed secret value replaces the container that uses it, without showing the value.
    (ws.secrets / "api-key").write_text(canary + "-rotated\n")
    plan = ws.plan()
    assert "-/+ server.a  replace (secret API_KEY changed)" in plan.stdout, plan.stdout
    assert canary not in plan.stdout


def test_missing_secret_is_a_plan_error_naming_server_and_secret(ws):
    ws.write("servers.yaml", server_manifest("a", extra="  secrets:\n    - {env: TOKEN, secret: nope}"))
    ws.commit()
    r = ws.plan()
    assert r.returncode == 1
    assert 'server a: secret "nope" (for env TOKEN) is not in the secret store' in r.stdout


def test_hardening_defaults_are_on_every_container(ws):
    ws.write("servers.yaml", server_manifest("a") + "---\n" + server_manifest(
        "relaxed", extra="  resources: {memory: 64Mi, pids: 32, cpus: 0.25}\n  hardening: {readOnlyRootFilesystem: false, capAdd: [NET_BIND_SERVICE]}"))
    ws.commit()
    assert ws.apply().returncode == 0
    hc = json.loads(sh("docker", "inspect", ws.name("a"), "--format", "{{json .HostConfig}}").stdout)
    assert hc["ReadonlyRootfs"] is True
    assert hc["CapDrop"] == ["ALL"] and not hc["CapAdd"]
    assert "no-new-privileges:true" in hc["SecurityOpt"]
    assert hc["Privileged"] is False
    assert hc["NetworkMode"] == "none"
    assert hc["PidsLimit"] == 128 and hc["Memory"] == 256 * 1024 * 1024
    assert "/tmp" in hc["Tmpfs"]

    relaxed = json.loads(sh("docker", "inspect", ws.name("relaxed"), "--format", "{{json .HostConfig}}").stdout)
    assert relaxed["ReadonlyRootfs"] is False and relaxed["CapAdd"] == ["NET_BIND_SERVICE"]
    assert relaxed["PidsLimit"] == 32 and relaxed["Memory"] == 64 * 1024 * 1024 and relaxed["NanoCpus"] == 250_000_000
    assert relaxed["CapDrop"] == ["ALL"] and relaxed["Privileged"] is False


def test_audit_chain_verifies_and_detects_an_altered_row(ws):
    ws.write("servers.yaml", server_manifest("a"))
    ws.commit()
    assert ws.apply().returncode == 0
    ok = ws.run("audit", "verify", "--state-dir", ws.state)
    assert ok.returncode == 0 and "intact" in ok.stdout, ok.stdout + ok.stderr

    log = json.loads(ws.run("audit", "log", "--state-dir", ws.state, "-o", "json").stdout)
    assert [e["type"] for e in log] == ["action", "run"]
    assert log[0]["address"] == "server.a" and log[0]["kind"] == "create" and log[0]["outcome"] == "succeeded"
    assert log[1]["revision"] == sh("git", "-C", ws.repo, "rev-parse", "HEAD").stdout.strip()

    db = sqlite3.connect(ws.state / "audit.db")
    db.execute("DROP TRIGGER IF EXISTS entries_no_update")
    db.execute("UPDATE entries SET outcome = 'failed' WHERE kind = 'action'")
    db.commit()
    db.close()
    broken = ws.run("audit", "verify", "--state-dir", ws.state)
    assert broken.returncode == 1
    assert "BROKEN at entry 1" in broken.stdout and "hash mismatch" in broken.stdout


def test_quickstart_and_reference_time_server_answer_mcp_as_deployed(ws, tmp_path):
    # The quickstart repository as a user would apply it, with the reference server built locally.
    sh("docker", "build", "--network", "none", "-q", "-t", "mcp/time:latest", "-", input=(
        'FROM python:3.11-slim-bookworm\nRUN pip install --no-cache-dir mcp-server-time\nUSER 10001\n'
        'ENTRYPOINT ["mcp-server-time"]\n'))
    for f in (REPO / "examples" / "quickstart").rglob("*"):
        if f.is_file():
            ws.write(str(f.relative_to(REPO / "examples" / "quickstart")), f.read_text())
    ws.write("capstan.yaml", f"instance: {ws.instance}\n")
    ws.commit("quickstart")
    r = ws.apply()
    assert r.returncode == 0, r.stdout + r.stderr
    for server, tools in (("textkit", "days_between, slugify, word_count"), ("time", "convert_time, get_current_time")):
        probe = subprocess.run(
            [sys.executable, str(REPO / "scripts" / "mcp_probe.py"), "docker", "attach", "--sig-proxy=false", ws.name(server)],
            capture_output=True, text=True, timeout=120, env=dict(os.environ))
        assert probe.returncode == 0, probe.stdout + probe.stderr
        assert f"tools/list: {tools}" in probe.stdout
        assert ws.containers()[ws.name(server)][1] == "running", "the server outlives a client's session"
