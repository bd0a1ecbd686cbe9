"""hooks/pre-commit blocks a commit whose staged manifests are invalid, and lets a valid one through."""
import os
import shutil

from conftest import REPO, run


def git(*args, cwd):
    r = run("git", *args, cwd=cwd)
    assert r.returncode == 0, r.stderr
    return r


def test_hook_validates_the_staged_content(capstan, tmp_path):
    repo = tmp_path / "manifests"
    shutil.copytree(REPO / "examples" / "quickstart", repo)
    git("init", "-q", cwd=repo)
    git("config", "user.email", "t@example.invalid", cwd=repo)
    git("config", "user.name", "test", cwd=repo)
    shutil.copy(REPO / "hooks" / "pre-commit", repo / ".git" / "hooks" / "pre-commit")
    env = dict(os.environ, CAPSTAN_BIN=capstan)

    git("add", "-A", cwd=repo)
    ok = run("git", "commit", "-qm", "valid", cwd=repo, env=env)
    assert ok.returncode == 0, ok.stdout + ok.stderr

    bad = repo / "servers.yaml"
    good_text = bad.read_text()
    bad.write_text(good_text.replace("  transport:", "  transprot:", 1))
    git("add", "servers.yaml", cwd=repo)
    blocked = run("git", "commit", "-qm", "typo", cwd=repo, env=env)
    assert blocked.returncode != 0
    # git shows a hook's output on stderr.
    assert 'servers.yaml:' in blocked.stderr and 'unknown field "transprot"' in blocked.stderr
    assert "commit blocked" in blocked.stderr
    assert run("git", "log", "--oneline", cwd=repo).stdout.count("\n") == 1

    # Fixed in the working tree but not staged: the hook checks what would be committed.
    bad.write_text(good_text + "# fixed\n")
    assert run("git", "commit", "-qm", "still typo", cwd=repo, env=env).returncode != 0
    git("add", "servers.yaml", cwd=repo)
    assert run("git", "commit", "-qm", "fixed", cwd=repo, env=env).returncode == 0
