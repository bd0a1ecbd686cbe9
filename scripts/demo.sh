#!/usr/bin/env bash
# `make demo`: the quickstart end to end on a local engine. Starts the engine if needed, builds
# the Python base image (no registry is reachable here), puts examples/quickstart into a git
# repository, applies it, shows the status, and speaks MCP to the server it deployed.
# Safe to run again: the second apply has nothing to do.
set -euo pipefail
cd "$(dirname "$0")/.."
capstan=$PWD/.build/debug/capstan
step() { printf '\n== %s\n' "$*"; }

eval "$(scripts/docker-engine.sh)"
scripts/python-base-image.sh
if ! docker image inspect mcp/time:latest >/dev/null 2>&1; then
    step "building mcp/time:latest (the reference time server) from the local base image"
    printf 'FROM python:3.11-slim-bookworm\nRUN pip install --no-cache-dir mcp-server-time\nUSER 10001\nENTRYPOINT ["mcp-server-time"]\n' |
        docker build --network none -q -t mcp/time:latest - >/dev/null
fi

demo=$PWD/.state/demo
repo=$demo/quickstart
step "a git repository from examples/quickstart at $repo"
rm -rf "$repo"
mkdir -p "$demo"
cp -r examples/quickstart "$repo"
git -C "$repo" init -q -b main
git -C "$repo" add -A
git -C "$repo" -c user.name=demo -c user.email=demo@example.invalid commit -qm "quickstart"

common=(--repo "$repo" --ref main --state-dir "$demo/state")
step "capstan validate"
"$capstan" validate "$repo"
step "capstan plan"
"$capstan" plan "${common[@]}"
step "capstan apply"
"$capstan" apply "${common[@]}" --auto-approve
step "capstan status"
"$capstan" status "${common[@]}"
step "the textkit server answers MCP over its container's stdio"
.venv/bin/python scripts/mcp_probe.py docker attach --sig-proxy=false quickstart-textkit
step "capstan audit verify"
"$capstan" audit verify --state-dir "$demo/state"
