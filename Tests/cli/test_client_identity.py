"""`capstan client add` and `client rotate`: the token reaches the user once (a terminal or a new
0600 file outside the repository), git gets only its hash, and nothing changes when the token has
nowhere safe to go."""
import hashlib
import os
import pathlib
import pty
import re
import select
import stat
import subprocess

from conftest import run

TOKEN = re.compile(r"capstan_[0-9a-f]{64}")


def client_env(home: pathlib.Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_CONFIG_HOME", "CODEX_HOME", "CLAUDE_CONFIG_DIR")}
    env["HOME"] = str(home)
    return env


def token_hash(token: str) -> str:
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()


def tree(path: pathlib.Path) -> dict:
    """Every file under path with its bytes, to show that a refused command changed nothing."""
    return {p.relative_to(path): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def test_add_writes_a_valid_manifest_whose_hash_matches_the_token_file(capstan, quickstart, tmp_path):
    token_file = tmp_path / "bob.token"
    r = run(capstan, "client", "add", "bob", "--app", "cursor", "--dir", str(quickstart),
            "--label", "team=data", "--label", "tier=yes", "--token-file", str(token_file), env=client_env(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr

    token = token_file.read_text().strip()
    assert TOKEN.fullmatch(token)
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert token not in r.stdout + r.stderr, "the token is only in the file"

    manifest = (quickstart / "clients" / "bob.yaml").read_text()
    assert "yaml-language-server" not in manifest, "the quickstart has no schemas/ of its own"
    assert "apiVersion: capstan/v1\nkind: Client\nmetadata:\n  name: bob\n" in manifest
    assert '    team: "data"\n    tier: "yes"\n' in manifest
    assert f"spec:\n  app: cursor\n  tokenHash: {token_hash(token)}\n" in manifest
    assert "capstan client config bob" in r.stdout and "Policy" in r.stdout

    v = run(capstan, "validate", str(quickstart))
    assert v.returncode == 0, v.stdout
    assert "2 clients" in v.stdout


def test_add_shows_the_token_on_a_terminal_and_nowhere_else(capstan, quickstart, tmp_path):
    primary, secondary = pty.openpty()
    proc = subprocess.Popen([capstan, "client", "add", "carol", "--app", "claude-code", "--dir", str(quickstart)],
                            stdout=secondary, stderr=subprocess.PIPE, env=client_env(tmp_path))
    os.close(secondary)
    output = b""
    while True:
        ready, _, _ = select.select([primary], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(primary, 4096)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        output += chunk
    assert proc.wait(timeout=30) == 0, proc.stderr.read()
    os.close(primary)

    tokens = TOKEN.findall(output.decode())
    assert len(tokens) == 1, output
    manifest = (quickstart / "clients" / "carol.yaml").read_text()
    assert f"tokenHash: {token_hash(tokens[0])}" in manifest
    assert tokens[0] not in manifest


def test_add_without_terminal_or_token_file_changes_nothing(capstan, quickstart, tmp_path):
    before = tree(quickstart)
    r = run(capstan, "client", "add", "bob", "--app", "cursor", "--dir", str(quickstart), env=client_env(tmp_path))
    assert r.returncode != 0
    assert "not a terminal" in r.stderr and "--token-file" in r.stderr
    assert not TOKEN.search(r.stdout + r.stderr)
    assert tree(quickstart) == before


def test_add_refuses_a_token_file_inside_the_repository(capstan, quickstart, tmp_path):
    before = tree(quickstart)
    (quickstart / "secrets").mkdir()
    for target in (quickstart / "bob.token", quickstart / "secrets" / "bob.token"):
        r = run(capstan, "client", "add", "bob", "--app", "cursor", "--dir", str(quickstart),
                "--token-file", str(target), env=client_env(tmp_path))
        assert r.returncode != 0
        assert "inside the repository" in r.stderr
        assert not target.exists()
    # A link from outside into the repository is inside too.
    (tmp_path / "link").symlink_to(quickstart / "secrets")
    r = run(capstan, "client", "add", "bob", "--app", "cursor", "--dir", str(quickstart),
            "--token-file", str(tmp_path / "link" / "bob.token"), env=client_env(tmp_path))
    assert r.returncode != 0 and "inside the repository" in r.stderr
    assert tree(quickstart) == before


def test_add_refuses_a_duplicate_name_and_an_existing_token_file(capstan, quickstart, tmp_path):
    before = tree(quickstart)
    token_file = tmp_path / "alice.token"
    r = run(capstan, "client", "add", "alice", "--app", "cursor", "--dir", str(quickstart),
            "--token-file", str(token_file), env=client_env(tmp_path))
    assert r.returncode != 0
    assert "already exists" in r.stderr and "clients.yaml" in r.stderr
    assert not token_file.exists()

    token_file.write_text("mine\n")
    r = run(capstan, "client", "add", "bob", "--app", "cursor", "--dir", str(quickstart),
            "--token-file", str(token_file), env=client_env(tmp_path))
    assert r.returncode != 0 and "already exists" in r.stderr
    assert token_file.read_text() == "mine\n"
    assert tree(quickstart) == before


def test_add_refuses_an_invalid_name_or_label(capstan, quickstart, tmp_path):
    before = tree(quickstart)
    r = run(capstan, "client", "add", "Bob_1", "--app", "cursor", "--dir", str(quickstart),
            "--token-file", str(tmp_path / "t"), env=client_env(tmp_path))
    assert r.returncode != 0 and "DNS label" in r.stderr
    r = run(capstan, "client", "add", "bob", "--app", "cursor", "--dir", str(quickstart), "--label", "bad key=x",
            "--token-file", str(tmp_path / "t"), env=client_env(tmp_path))
    assert r.returncode != 0 and "label" in r.stderr
    assert not (tmp_path / "t").exists()
    assert tree(quickstart) == before


def test_add_points_the_modeline_at_the_repository_schema_from_the_manifest_root(capstan, tmp_path):
    repo = tmp_path / "repo"
    (repo / "schemas").mkdir(parents=True)
    (repo / "schemas" / "manifest.schema.json").write_text("{}\n")
    (repo / "manifests").mkdir()
    (repo / "capstan.yaml").write_text("root: manifests\n")
    r = run(capstan, "client", "add", "dave", "--app", "vscode", "--dir", str(repo),
            "--token-file", str(tmp_path / "dave.token"), env=client_env(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    manifest = (repo / "manifests" / "clients" / "dave.yaml").read_text()
    assert manifest.startswith("# yaml-language-server: $schema=../../schemas/manifest.schema.json\n")
    assert run(capstan, "validate", str(repo)).returncode == 0


def test_rotate_changes_only_the_hash(capstan, quickstart, tmp_path):
    clients = quickstart / "clients.yaml"
    before = clients.read_bytes()
    old_hash = re.search(rb"sha256:[0-9a-f]{64}", before).group(0)
    token_file = tmp_path / "alice.token"
    r = run(capstan, "client", "rotate", "alice", "--dir", str(quickstart), "--token-file", str(token_file),
            env=client_env(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr

    token = token_file.read_text().strip()
    after = clients.read_bytes()
    assert after == before.replace(old_hash, token_hash(token).encode())
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert token not in r.stdout
    assert run(capstan, "validate", str(quickstart)).returncode == 0


def test_rotate_changes_nothing_when_the_token_has_nowhere_to_go(capstan, quickstart, tmp_path):
    before = tree(quickstart)
    r = run(capstan, "client", "rotate", "alice", "--dir", str(quickstart), env=client_env(tmp_path))
    assert r.returncode != 0 and "--token-file" in r.stderr
    r = run(capstan, "client", "rotate", "nobody", "--dir", str(quickstart), "--token-file", str(tmp_path / "t"),
            env=client_env(tmp_path))
    assert r.returncode != 0 and 'no Client "nobody"' in r.stderr and "alice" in r.stderr
    assert not (tmp_path / "t").exists()
    assert tree(quickstart) == before
