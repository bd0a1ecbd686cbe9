import os
import pathlib
import shutil
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def capstan() -> str:
    path = os.environ.get("CAPSTAN_BIN", str(REPO / ".build" / "debug" / "capstan"))
    assert os.access(path, os.X_OK), f"capstan binary not built at {path}: run `swift build` or `make test`"
    return path


@pytest.fixture
def quickstart(tmp_path) -> pathlib.Path:
    """A private copy of examples/quickstart that a test may edit."""
    dest = tmp_path / "quickstart"
    shutil.copytree(REPO / "examples" / "quickstart", dest, symlinks=True)
    return dest


def run(*args, cwd=None, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
