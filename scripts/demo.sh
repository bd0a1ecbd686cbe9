#!/usr/bin/env bash
# `make demo`: the quickstart end to end on a local engine. Starts the engine if needed, builds
# the Python base image (no registry is reachable here), puts examples/quickstart into a git
# repository, starts the MCP gateway, applies (containers and the gateway's routes), shows the
# status, and calls the deployed server's tool through the gateway with the quickstart's token.
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
gateway_port=${CAPSTAN_DEMO_GATEWAY_PORT:-8750}
step "capstan gateway on 127.0.0.1:$gateway_port (the controller embeds it; alone here)"
mkdir -p "$demo/state"
"$capstan" gateway --listen "127.0.0.1:$gateway_port" --state-dir "$demo/state" > "$demo/gateway.log" 2>&1 &
gateway_pid=$!
trap 'kill $gateway_pid 2>/dev/null; wait $gateway_pid 2>/dev/null' EXIT
for _ in $(seq 100); do
    grep -q "MCP endpoint" "$demo/gateway.log" 2>/dev/null && break
    kill -0 $gateway_pid 2>/dev/null || { cat "$demo/gateway.log"; exit 1; }
    sleep 0.1
done
cat "$demo/gateway.log"
step "capstan validate"
"$capstan" validate "$repo"
step "capstan plan"
"$capstan" plan "${common[@]}"
step "capstan apply"
"$capstan" apply "${common[@]}" --auto-approve
step "capstan status"
"$capstan" status "${common[@]}"
step "a tool call through the gateway, with the quickstart's (published, demo-only) token"
CAPSTAN_TOKEN=quickstart-demo-token-replace-me .venv/bin/python scripts/mcp_gateway_call.py \
    "http://127.0.0.1:$gateway_port/mcp" textkit__word_count '{"text": "hello from the gateway"}'
step "capstan audit calls"
"$capstan" audit calls --state-dir "$demo/state"
step "capstan audit verify"
"$capstan" audit verify --state-dir "$demo/state"
