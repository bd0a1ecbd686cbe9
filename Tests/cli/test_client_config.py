"""`capstan client config`, `connect` and `disconnect` through the binary, against the golden files
of Tests/Fixtures/client-configs (the unit tests pin the same files): every app's snippet, merging
into the app's real file (HOME is a temporary directory), idempotence, the backup, and disconnect
restoring the original byte for byte."""
import json
import os
import pathlib
import stat

import pytest

from conftest import REPO, run

GOLDEN = REPO / "Tests" / "Fixtures" / "client-configs"
CASES = json.loads((GOLDEN / "cases.json").read_text())
TOKEN_HASH = "sha256:" + __import__("hashlib").sha256(CASES["token"].encode()).hexdigest()

# Where each app keeps its user configuration on Linux, relative to HOME.
USER_FILES = {
    "claude-desktop": ".config/Claude/claude_desktop_config.json",
    "claude-code": ".claude.json",
    "cursor": ".cursor/mcp.json",
    "vscode": ".config/Code/User/mcp.json",
    "codex": ".codex/config.toml",
}


class Setup:
    """A manifest repository with one Client of `app`, a HOME, and the token file."""

    def __init__(self, tmp_path: pathlib.Path, app: str):
        self.repo = tmp_path / "repo"
        self.repo.mkdir()
        (self.repo / "clients.yaml").write_text(
            f"apiVersion: capstan/v1\nkind: Client\nmetadata: {{name: {CASES['client']}}}\n"
            f"spec: {{app: {app}, tokenHash: \"{TOKEN_HASH}\"}}\n")
        self.home = tmp_path / "home"
        self.home.mkdir()
        self.token_file = tmp_path / "alice.token"
        self.token_file.write_text(CASES["token"] + "\n")
        self.token_file.chmod(0o600)
        self.env = {k: v for k, v in os.environ.items() if k not in ("XDG_CONFIG_HOME", "CODEX_HOME", "CLAUDE_CONFIG_DIR")}
        self.env["HOME"] = str(self.home)
        self.env.pop(CASES["tokenEnv"], None)

    def token_options(self, kind: str) -> list[str]:
        return {"env": ["--token-env", CASES["tokenEnv"]], "file": ["--token-file", str(self.token_file)], "none": []}[kind]

    def client(self, capstan, *args):
        return run(capstan, "client", *args, CASES["client"], "--dir", str(self.repo),
                   "--capstan-command", CASES["capstanCommand"], env=self.env)

    def golden(self, relative: str) -> bytes:
        """The golden file with the token file's path as this test has it."""
        return (GOLDEN / relative).read_bytes().replace(CASES["tokenFile"].encode(), str(self.token_file).encode())


@pytest.mark.parametrize("case", CASES["snippets"], ids=[c["golden"] for c in CASES["snippets"]])
def test_config_prints_the_golden_snippet(capstan, tmp_path, case):
    s = Setup(tmp_path, case["app"])
    args = ["config", *s.token_options(case["token"])] + (["--command"] if case.get("command") else [])
    r = s.client(capstan, *args)
    assert r.returncode == 0, r.stderr
    assert r.stdout.encode() == s.golden(case["golden"])
    if not case.get("command"):
        assert r.stderr.startswith("# "), "where the snippet goes is said on stderr"


def test_config_refuses_a_token_file_of_another_token(capstan, tmp_path):
    s = Setup(tmp_path, "cursor")
    s.token_file.write_text("capstan_" + "f" * 64 + "\n")
    r = s.client(capstan, "config", "--token-file", str(s.token_file))
    assert r.returncode != 0 and "does not match the tokenHash" in r.stderr
    assert "capstan_" not in r.stdout + r.stderr


def test_config_without_a_token_says_which_options_work(capstan, tmp_path):
    s = Setup(tmp_path, "claude-desktop")
    r = s.client(capstan, "config", "--token-env", "X")
    assert r.returncode != 0 and "--token-file" in r.stderr and "bridge" in r.stderr
    other = tmp_path / "other"
    other.mkdir()
    r = Setup(other, "cursor").client(capstan, "config")
    assert r.returncode != 0 and "--token-env" in r.stderr


def test_claude_desktop_runs_this_capstan_as_the_bridge_by_default(capstan, tmp_path):
    s = Setup(tmp_path, "claude-desktop")
    r = run(capstan, "client", "config", "alice", "--dir", str(s.repo), "--token-file", str(s.token_file), env=s.env)
    assert r.returncode == 0, r.stderr
    entry = json.loads(r.stdout)["mcpServers"]["alice"]
    assert entry["command"] == str(pathlib.Path(capstan).resolve()) or entry["command"] == capstan
    assert entry["args"] == ["bridge", "--url", CASES["url"], "--token-file", str(s.token_file)]


@pytest.mark.parametrize("case", CASES["merges"], ids=[c["app"] for c in CASES["merges"]])
def test_connect_merges_into_the_apps_file_and_disconnect_restores_it(capstan, tmp_path, case):
    s = Setup(tmp_path, case["app"])
    target = s.home / USER_FILES[case["app"]]
    target.parent.mkdir(parents=True, exist_ok=True)
    before = (GOLDEN / case["before"]).read_bytes()
    target.write_bytes(before)
    target.chmod(0o644)
    token = s.token_options(case["token"])

    r = s.client(capstan, "connect", *token)
    assert r.returncode == 0, r.stdout + r.stderr
    assert target.read_bytes() == s.golden(case["after"])
    backup = pathlib.Path(str(target) + ".capstan-backup")
    assert backup.read_bytes() == before
    assert stat.S_IMODE(target.stat().st_mode) == 0o644, "no token in the file: its mode stays"

    mtime = target.stat().st_mtime_ns
    again = s.client(capstan, "connect", *token)
    assert again.returncode == 0 and "already connected" in again.stdout
    assert target.read_bytes() == s.golden(case["after"]) and target.stat().st_mtime_ns == mtime

    gone = s.client(capstan, "disconnect")
    assert gone.returncode == 0, gone.stdout + gone.stderr
    assert target.read_bytes() == before
    assert "not connected" in s.client(capstan, "disconnect").stdout
    assert target.read_bytes() == before


def test_backup_is_taken_once_and_later_edits_survive_disconnect(capstan, tmp_path):
    s = Setup(tmp_path, "cursor")
    target = s.home / ".cursor" / "mcp.json"
    target.parent.mkdir()
    first = b'{\n  "mcpServers": {}\n}\n'
    target.write_bytes(first)
    assert s.client(capstan, "connect", "--token-env", "T").returncode == 0
    edited = target.read_bytes().replace(b'"mcpServers": {', b'"mcpServers": {\n    "mine": {"url": "https://m"},', 1)
    target.write_bytes(edited)
    assert s.client(capstan, "connect", "--token-env", "OTHER").returncode == 0
    backup = pathlib.Path(str(target) + ".capstan-backup")
    assert backup.read_bytes() == first, "the backup is the file before Capstan's first change"

    assert s.client(capstan, "disconnect").returncode == 0
    config = json.loads(target.read_text())
    assert config == {"mcpServers": {"mine": {"url": "https://m"}}}


def test_project_scope_creates_the_file_and_disconnect_removes_it(capstan, tmp_path):
    s = Setup(tmp_path, "claude-code")
    project = tmp_path / "app"
    project.mkdir()
    r = s.client(capstan, "connect", "--token-env", "CAPSTAN_TOKEN", "--scope", "project", "--project-dir", str(project))
    assert r.returncode == 0, r.stderr
    assert (project / ".mcp.json").read_bytes() == s.golden("snippets/claude-code.json")
    assert not (s.home / ".claude.json").exists()
    assert s.client(capstan, "disconnect", "--scope", "project", "--project-dir", str(project)).returncode == 0
    assert not (project / ".mcp.json").exists()


def test_a_token_goes_only_into_user_files_and_makes_them_0600(capstan, tmp_path):
    s = Setup(tmp_path, "cursor")
    project = tmp_path / "app"
    project.mkdir()
    r = s.client(capstan, "connect", "--token-file", str(s.token_file), "--scope", "project", "--project-dir", str(project))
    assert r.returncode != 0 and "--token-env" in r.stderr
    assert not (project / ".cursor").exists()

    target = s.home / ".cursor" / "mcp.json"
    target.parent.mkdir()
    target.write_text('{"mcpServers": {}}\n')
    target.chmod(0o644)
    r = s.client(capstan, "connect", "--token-file", str(s.token_file))
    assert r.returncode == 0, r.stderr
    assert json.loads(target.read_text())["mcpServers"]["alice"]["headers"]["Authorization"] == "Bearer " + CASES["token"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert CASES["token"] not in r.stdout + r.stderr


def test_a_file_capstan_cannot_edit_safely_is_left_alone(capstan, tmp_path):
    s = Setup(tmp_path, "cursor")
    target = s.home / ".cursor" / "mcp.json"
    target.parent.mkdir()
    commented = b'{\n  // mine\n  "mcpServers": {}\n}\n'
    target.write_bytes(commented)
    r = s.client(capstan, "connect", "--token-env", "T")
    assert r.returncode != 0
    assert ":2:3: comments are not allowed" in r.stderr
    assert target.read_bytes() == commented
    assert not pathlib.Path(str(target) + ".capstan-backup").exists()


def test_config_file_option_and_a_client_gone_from_the_repository(capstan, tmp_path):
    s = Setup(tmp_path, "codex")
    target = tmp_path / "elsewhere.toml"
    assert s.client(capstan, "connect", "--token-env", "T", "--config-file", str(target)).returncode == 0
    assert "[mcp_servers.alice]" in target.read_text()
    (s.repo / "clients.yaml").unlink()
    r = s.client(capstan, "disconnect", "--config-file", str(target))
    assert r.returncode != 0 and 'no Client "alice"' in r.stderr
    r = s.client(capstan, "disconnect", "--config-file", str(target), "--app", "codex")
    assert r.returncode == 0, r.stderr
    assert not target.exists()
