#!/usr/bin/env bash
# The gateway benchmark of docs/benchmarks.md, with the Python proxy beside it and the
# resident memory of a `capstan gateway` process.
#
#   scripts/bench_gateway.sh                  # 1 and 4 backend containers, 10 s per load run
#   BENCH_SERVERS="1" BENCH_SECONDS=20 scripts/bench_gateway.sh
#
# It builds the release `capstan` and `capstan-bench` (scratch path $BENCH_SCRATCH, default
# .build), installs sparfenyuk's mcp-proxy from PyPI into a venv of its own ($BENCH_PROXY_VENV,
# default <scratch>/mcp-proxy-venv) and starts or reuses the test Docker engine with the
# python:3.11-slim-bookworm image. Everything listens on 127.0.0.1; the backend containers run
# with network none.
set -euo pipefail
cd "$(dirname "$0")/.."

SCRATCH=${BENCH_SCRATCH:-.build}
VENV=${BENCH_PROXY_VENV:-$SCRATCH/mcp-proxy-venv}
SERVERS=${BENCH_SERVERS:-1 4}
SECONDS_PER_RUN=${BENCH_SECONDS:-10}
CLIENTS=${BENCH_CLIENTS:-16}
CALLS=${BENCH_CALLS:-3000}
MCP_PROXY_VERSION=${BENCH_MCP_PROXY_VERSION:-0.13.0}

eval "$(scripts/docker-engine.sh)"
scripts/python-base-image.sh >&2

if [ ! -x "$VENV/bin/mcp-proxy" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet "mcp-proxy==$MCP_PROXY_VERSION"
fi

swift build -c release --scratch-path "$SCRATCH" --product capstan
swift build -c release --scratch-path "$SCRATCH" --product capstan-bench

for servers in $SERVERS; do
    "$SCRATCH/release/capstan-bench" gateway --servers "$servers" --clients "$CLIENTS" --seconds "$SECONDS_PER_RUN" \
        --calls "$CALLS" --proxy "$VENV/bin/mcp-proxy" --capstan "$SCRATCH/release/capstan" --listeners 100
done
