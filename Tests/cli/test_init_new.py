"""`capstan init`, `capstan new project` and `capstan completions` as a user meets them: the
files they write validate, nothing is overwritten without --force, the token never enters the
repository, and every command's --help shows an example.

`.venv/bin/python Tests/cli/test_init_new.py --write-schema-templates` regenerates
Sources/capstan/Templates/SchemaTemplates.swift from schemas/ (a test below fails while they differ).
"""
import hashlib
import json
import os
import pathlib
import re
import shutil
import stat
import subprocess
import sys

import pytest

from conftest import REPO, run

SCHEMA_TEMPLATES = REPO / "Sources" / "capstan" / "Templates" / "SchemaTemplates.swift"
MANIFEST_SCHEMAS = ["manifest", "common", "project", "server", "client", "policy", "capstan-config"]
SUMMARY = re.compile(r"(\d+) manifests? valid: (\d+) projects?, (\d+) servers?, (\d+) clients?, (\d+) polic(?:y|ies)")


def schema_templates_swift() -> str:
    """SchemaTemplates.swift as it must be for the schemas/ directory of this checkout."""
    out = ["// Generated from schemas/ by `.venv/bin/python Tests/cli/test_init_new.py --write-schema-templates`;",
           "// Tests/cli/test_init_new.py fails while the two differ. Edit schemas/, then regenerate.",
           "",
           "/// The manifest JSON Schemas as this binary validates them, which `capstan init` writes into",
           "/// `.capstan/schemas/` of a new repository so that editors check manifests offline.",
           "enum SchemaTemplates {",
           "    static let manifestSchemas: [(name: String, contents: String)] = ["]
    for name in MANIFEST_SCHEMAS:
        text = (REPO / "schemas" / f"{name}.schema.json").read_text()
        assert '"""#' not in text and "\\#" not in text and text.endswith("\n")
        out.append(f'        ("{name}.schema.json", #"""')
        out.append(text + '\n"""#),')
    out += ["    ]", "}"]
    return "\n".join(out) + "\n"


def git(*args, cwd) -> str:
    r = run("git", *args, cwd=cwd)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def init(capstan, target, *extra, token_file=None, cwd=None):
    token_file = token_file or pathlib.Path(target).parent / "client.token"
    return run(capstan, "init", str(target), "--token-file", str(token_file), *extra, cwd=cwd)


def validate(capstan, repo) -> tuple:
    r = run(capstan, "validate", str(repo))
    assert r.returncode == 0, r.stdout + r.stderr
    return tuple(int(n) for n in SUMMARY.search(r.stdout).groups())


def tree(path: pathlib.Path) -> dict:
    """Every file below path (except .git) with its content, to show that nothing changed."""
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(path).parts}


@pytest.fixture
def repo(capstan, tmp_path) -> pathlib.Path:
    target = tmp_path / "mcp-servers"
    r = init(capstan, target, "--client", "alice")
    assert r.returncode == 0, r.stdout + r.stderr
    return target


# --- capstan init ------------------------------------------------------------------------------

def test_init_writes_a_valid_repository_with_one_commit_and_an_executable_hook(capstan, tmp_path):
    target, token_file = tmp_path / "mcp-servers", tmp_path / "secret" / "alice.token"
    token_file.parent.mkdir()
    r = init(capstan, target, "--client", "alice", "--app", "claude-code", token_file=token_file)
    assert r.returncode == 0, r.stdout + r.stderr

    for name in ["capstan.yaml", "clients.yaml", "servers.yaml", "policies.yaml", ".gitignore"]:
        assert (target / name).is_file(), name
    assert re.search(r"^instance: mcp-servers$", (target / "capstan.yaml").read_text(), re.M)
    assert validate(capstan, target) == (1, 0, 0, 1, 0)

    assert git("log", "--format=%s", cwd=target).count("\n") == 1
    assert git("status", "--porcelain", cwd=target) == "", "everything written is committed"
    committed = set(git("ls-files", cwd=target).split())
    assert {"capstan.yaml", "clients.yaml", ".capstan/schemas/manifest.schema.json"} <= committed

    hook = target / ".git" / "hooks" / "pre-commit"
    assert hook.stat().st_mode & stat.S_IXUSR
    assert "validate" in hook.read_text() and "checkout-index" in hook.read_text()


def test_init_writes_the_token_only_to_the_token_file_and_its_hash_to_the_client(capstan, tmp_path):
    target, token_file = tmp_path / "repo", tmp_path / "alice.token"
    r = init(capstan, target, "--client", "alice", "--app", "cursor", token_file=token_file)
    assert r.returncode == 0, r.stdout + r.stderr

    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    token = token_file.read_text().strip()
    assert re.fullmatch(r"capstan_[0-9a-f]{64}", token)
    clients = (target / "clients.yaml").read_text()
    assert f"tokenHash: sha256:{hashlib.sha256(token.encode()).hexdigest()}" in clients
    assert re.search(r"^  app: cursor\b", clients, re.M) and re.search(r"^  name: alice$", clients, re.M)
    assert token not in r.stdout + r.stderr, "output that is not a terminal never shows the token"
    assert str(token_file) in r.stdout
    for path in target.rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path


def test_init_without_a_terminal_or_token_file_refuses_and_creates_nothing(capstan, tmp_path):
    r = run(capstan, "init", str(tmp_path / "repo"))
    assert r.returncode != 0
    assert "--token-file" in r.stdout + r.stderr and "terminal" in r.stdout + r.stderr
    assert not (tmp_path / "repo").exists()


def test_init_refuses_a_token_file_inside_the_repository(capstan, tmp_path):
    r = init(capstan, tmp_path / "repo", token_file=tmp_path / "repo" / "client.token")
    assert r.returncode != 0
    assert "inside the repository" in r.stdout + r.stderr
    assert not (tmp_path / "repo").exists()


def test_init_refuses_a_non_empty_directory_and_changes_nothing(capstan, tmp_path):
    target = tmp_path / "existing"
    target.mkdir()
    (target / "README.md").write_text("mine\n")
    (target / "clients.yaml").write_text("# mine too\n")
    before = tree(target)

    r = init(capstan, target)
    assert r.returncode != 0
    assert "not empty" in r.stdout + r.stderr and "--force" in r.stdout + r.stderr
    assert tree(target) == before and not (target / ".git").exists()
    assert not (tmp_path / "client.token").exists()

    forced = init(capstan, target, "--force", "--client", "bob")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert (target / "README.md").read_text() == "mine\n", "files init does not write are kept"
    assert "name: bob" in (target / "clients.yaml").read_text()
    assert "README.md" not in git("ls-files", cwd=target).split(), "only init's own files are committed"
    assert validate(capstan, target) == (1, 0, 0, 1, 0)


def test_init_in_a_fresh_clone_uses_its_git_repository(capstan, tmp_path):
    target = tmp_path / "clone"
    git("init", "-q", str(target), cwd=tmp_path)
    r = init(capstan, target)
    assert r.returncode == 0, r.stdout + r.stderr
    assert git("log", "--format=%s", cwd=target).count("\n") == 1


def test_init_takes_the_instance_from_the_directory_only_when_it_is_a_dns_label(capstan, tmp_path):
    r = init(capstan, tmp_path / "My_Servers")
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"^instance: capstan$", (tmp_path / "My_Servers" / "capstan.yaml").read_text(), re.M)
    r = init(capstan, tmp_path / "other", "--instance", "team-a", token_file=tmp_path / "other.token")
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"^instance: team-a$", (tmp_path / "other" / "capstan.yaml").read_text(), re.M)


def test_init_commits_without_a_configured_git_identity(capstan, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and k != "EMAIL"}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), GIT_CONFIG_NOSYSTEM="1")
    r = run(capstan, "init", str(tmp_path / "repo"), "--token-file", str(tmp_path / "t"), env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert git("log", "--format=%an <%ae>", cwd=tmp_path / "repo").strip() == "capstan init <capstan-init@localhost>"


def test_schemas_are_copied_and_every_modeline_points_at_one(capstan, repo):
    for name in MANIFEST_SCHEMAS:
        copied = repo / ".capstan" / "schemas" / f"{name}.schema.json"
        assert copied.read_bytes() == (REPO / "schemas" / f"{name}.schema.json").read_bytes(), name
    for path in repo.glob("*.yaml"):
        lines = path.read_text().splitlines()
        target = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", lines[0]).group(1)
        assert (path.parent / target).is_file(), (path, target)


def test_schema_templates_are_generated_from_the_schemas_directory():
    assert SCHEMA_TEMPLATES.read_text() == schema_templates_swift(), \
        "schemas/ changed: run .venv/bin/python Tests/cli/test_init_new.py --write-schema-templates"


def test_commented_examples_validate_once_uncommented(capstan, repo):
    for name in ["servers.yaml", "policies.yaml"]:
        path = repo / name
        text = path.read_text()
        example = text[text.index("# apiVersion:"):]
        path.write_text(text[:text.index("# apiVersion:")]
                        + re.sub(r"^# ?", "", example, flags=re.M))
    assert validate(capstan, repo) == (3, 0, 1, 1, 1)


def test_hook_blocks_an_invalid_commit_with_the_capstan_that_installed_it(capstan, repo):
    # Neither CAPSTAN_BIN nor capstan on PATH: the hook falls back to the binary that wrote it.
    env = {k: v for k, v in os.environ.items() if k != "CAPSTAN_BIN"}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if not (pathlib.Path(p) / "capstan").exists())
    clients = repo / "clients.yaml"
    clients.write_text(clients.read_text().replace("  tokenHash:", "  tokenHsh:"))
    git("add", "clients.yaml", cwd=repo)
    blocked = run("git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "typo", cwd=repo, env=env)
    assert blocked.returncode != 0
    assert 'unknown field "tokenHsh"' in blocked.stdout + blocked.stderr
    assert "commit blocked" in blocked.stderr


# --- capstan new project -----------------------------------------------------------------------

def test_new_project_writes_a_server_project_and_manifests_that_validate(capstan, repo):
    r = run(capstan, "new", "project", "weather", "--template", "python", "--dir", str(repo))
    assert r.returncode == 0, r.stdout + r.stderr
    project = repo / "projects" / "weather"
    for name in ["server.py", "test_server.py", "requirements.txt", "Dockerfile", ".dockerignore"]:
        assert (project / name).is_file(), name
    assert validate(capstan, repo) == (4, 1, 1, 1, 1)

    manifests = (repo / "projects" / "weather.yaml").read_text()
    assert "context: projects/weather" in manifests and "transport: stdio" in manifests
    assert re.search(r"clients: \[alice\]", manifests), "the Policy grants the repository's client"
    # Each document carries the modeline: the YAML language server reads it per document.
    assert manifests.count("# yaml-language-server: $schema=../.capstan/schemas/manifest.schema.json") == 3

    dockerfile = (project / "Dockerfile").read_text()
    assert dockerfile.startswith("FROM python:3.11-slim-bookworm\n")
    assert re.search(r"^USER 10001", dockerfile, re.M) and "PYTHONDONTWRITEBYTECODE=1" in dockerfile
    assert "FastMCP" in (project / "server.py").read_text()


def test_new_project_pins_only_what_the_base_image_preinstalls(capstan, repo):
    """scripts/python-base-image.sh preinstalls the examples' pins; builds here have no network."""
    assert run(capstan, "new", "project", "weather", "--dir", str(repo)).returncode == 0

    def pins(text):
        return {line.split("#")[0].strip() for line in text.splitlines()} - {""}
    examples = set().union(*(pins(p.read_text()) for p in REPO.glob("examples/*/projects/*/requirements.txt")))
    generated = pins((repo / "projects" / "weather" / "requirements.txt").read_text())
    assert generated == {"mcp==1.30.0"} and generated <= examples


def test_new_project_twice_refuses_and_changes_nothing(capstan, repo):
    assert run(capstan, "new", "project", "weather", "--dir", str(repo)).returncode == 0
    (repo / "projects" / "weather" / "server.py").write_text("# edited\n")
    before = tree(repo)
    again = run(capstan, "new", "project", "weather", "--dir", str(repo))
    assert again.returncode != 0
    assert "exists already" in again.stdout + again.stderr
    assert tree(repo) == before


def test_new_project_refuses_a_name_a_server_already_has(capstan, repo):
    (repo / "servers.yaml").write_text("apiVersion: capstan/v1\nkind: Server\nmetadata: {name: weather}\nspec: {image: mcp/weather:1}\n")
    before = tree(repo)
    r = run(capstan, "new", "project", "weather", "--dir", str(repo))
    assert r.returncode != 0 and "Server named weather" in r.stdout + r.stderr
    assert tree(repo) == before


def test_new_project_finds_the_repository_from_a_subdirectory(capstan, repo):
    (repo / "projects").mkdir()
    r = run(capstan, "new", "project", "weather", cwd=repo / "projects")
    assert r.returncode == 0, r.stdout + r.stderr
    assert (repo / "projects" / "weather.yaml").is_file() and (repo / "projects" / "weather" / "server.py").is_file()
    assert validate(capstan, repo)[1:3] == (1, 1)


def test_new_project_puts_its_manifests_under_the_manifest_root(capstan, repo):
    (repo / "deploy").mkdir()
    for name in ["clients.yaml", "servers.yaml", "policies.yaml"]:
        text = (repo / name).read_text().replace("$schema=.capstan/", "$schema=../.capstan/")
        (repo / "deploy" / name).write_text(text)
        (repo / name).unlink()
    with open(repo / "capstan.yaml", "a") as config:
        config.write("root: deploy\n")
    r = run(capstan, "new", "project", "weather", "--dir", str(repo))
    assert r.returncode == 0, r.stdout + r.stderr
    manifests = repo / "deploy" / "projects" / "weather.yaml"
    assert "$schema=../../.capstan/schemas/manifest.schema.json" in manifests.read_text()
    assert (repo / "projects" / "weather" / "server.py").is_file(), "the context stays relative to the repository root"
    assert validate(capstan, repo) == (4, 1, 1, 1, 1)


def test_new_project_outside_a_repository_says_to_init(capstan, tmp_path):
    r = run(capstan, "new", "project", "weather", cwd=tmp_path)
    assert r.returncode != 0 and "capstan init" in r.stdout + r.stderr
    assert list(tmp_path.iterdir()) == []


def test_new_project_with_several_clients_grants_the_ones_named(capstan, repo):
    (repo / "bob.yaml").write_text("apiVersion: capstan/v1\nkind: Client\nmetadata: {name: bob}\n"
                                   f"spec: {{app: generic, tokenHash: sha256:{'0' * 64}}}\n")
    ambiguous = run(capstan, "new", "project", "weather", "--dir", str(repo))
    assert ambiguous.returncode != 0 and "--client" in ambiguous.stdout + ambiguous.stderr
    assert not (repo / "projects").exists()

    r = run(capstan, "new", "project", "weather", "--dir", str(repo), "--client", "bob")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "clients: [bob]" in (repo / "projects" / "weather.yaml").read_text()
    assert validate(capstan, repo) == (5, 1, 1, 2, 1)


def test_new_project_rejects_a_name_that_is_not_a_dns_label(capstan, repo):
    r = run(capstan, "new", "project", "Weather_App", "--dir", str(repo))
    assert r.returncode != 0 and "DNS label" in r.stdout + r.stderr
    assert not (repo / "projects").exists()


# --- completions and help ----------------------------------------------------------------------

@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_script_for_each_shell_knows_the_commands(capstan, shell):
    r = run(capstan, "completions", shell)
    assert r.returncode == 0, r.stderr
    for word in ["init", "new", "validate", "plan", "token-file"]:
        assert word in r.stdout, (shell, word)
    if shutil.which(shell):
        check = subprocess.run([shell, "-n"], input=r.stdout, capture_output=True, text=True, timeout=30)
        assert check.returncode == 0, check.stderr


def test_completions_for_an_unknown_shell_is_an_error(capstan):
    r = run(capstan, "completions", "powershell")
    assert r.returncode != 0 and "bash, zsh or fish" in r.stderr


def test_every_command_shows_an_example_in_its_help(capstan):
    dump = json.loads(run(capstan, "--experimental-dump-help").stdout)
    missing = []

    def walk(command, path):
        if command.get("commandName") == "help":  # swift-argument-parser's own
            return
        help_text = run(capstan, *path[1:], "--help").stdout
        if not re.search(r"^\s*Examples?\b.*:\s*$", help_text, re.M):  # "Examples:", "Example (file):"
            missing.append(" ".join(path))
        for sub in command.get("subcommands", []):
            walk(sub, path + [sub["commandName"]])

    walk(dump["command"], ["capstan"])
    assert missing == []


if __name__ == "__main__":
    if sys.argv[1:] == ["--write-schema-templates"]:
        SCHEMA_TEMPLATES.write_text(schema_templates_swift())
        print(f"wrote {SCHEMA_TEMPLATES.relative_to(REPO)}")
    else:
        sys.exit(__doc__)
