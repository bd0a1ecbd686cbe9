#!/usr/bin/env bash
# Installs what building and testing Capstan needs on a Debian machine that has only the Swift
# toolchain: the C libraries behind the system-library targets, Python for the schema and CLI
# tests (in .venv), headless Chromium and a font for the dashboard's browser tests
# (Tests/browser), and nothing else. Idempotent and quiet when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

debs=(libyaml-dev libgit2-dev libcurl4-openssl-dev libsqlite3-dev pkg-config python3 python3-venv python3-pip git ca-certificates
      chromium fonts-dejavu-core)
missing=()
for pkg in "${debs[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# The tests' Python side (jsonschema, PyYAML, pytest) lives in a venv of its own.
req=Tests/requirements.txt
stamp=.venv/.requirements.sha256
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "install-deps: creating .venv" >&2
    # Debian's python3 is the default; a python3 earlier on PATH (pyenv) works as well.
    python3 -m venv .venv
    .venv/bin/pip install -q -r "$req" >&2
    echo "$want" > "$stamp"
fi

# The mcp 2.x client (MCP 2026-07-28) for the gateway's e2e tests, in a venv of its own: it
# cannot be installed next to the mcp 1.30 of .venv. The tests run it as a subprocess.
req2=Tests/requirements-mcp2.txt
stamp2=.venv-mcp2/.requirements.sha256
want2=$(sha256sum "$req2" | cut -d' ' -f1)
if [ ! -x .venv-mcp2/bin/python ] || [ "$(cat "$stamp2" 2>/dev/null)" != "$want2" ]; then
    echo "install-deps: creating .venv-mcp2" >&2
    python3 -m venv .venv-mcp2
    echo '*' > .venv-mcp2/.gitignore   # keeps git status clean without touching .gitignore
    .venv-mcp2/bin/pip install -q -r "$req2" >&2
    echo "$want2" > "$stamp2"
fi
