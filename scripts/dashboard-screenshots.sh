#!/usr/bin/env bash
# Screenshots of every dashboard page, for a reviewer: a controller on the quickstart (built
# textkit, the time server, client alice) on the local engine, each page in headless Chromium at
# 1280 px and at phone width (390 px), in the light and the dark theme.
#
#   scripts/dashboard-screenshots.sh [DIR]      # default docs/screenshots
#
# It is the browser test itself (Tests/e2e/test_dashboard_browser.py) with CAPSTAN_SCREENSHOTS
# set, so the pictures are of pages that passed its checks.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-docs/screenshots}")
make -s build
eval "$(scripts/docker-engine.sh)"
mkdir -p "$out"
CAPSTAN_SCREENSHOTS=$out CAPSTAN_BIN=$PWD/.build/debug/capstan \
    .venv/bin/python -m pytest -q Tests/e2e/test_dashboard_browser.py -k each_page
echo "screenshots in $out:"
ls "$out"
