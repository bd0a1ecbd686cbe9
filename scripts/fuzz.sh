#!/usr/bin/env bash
# Builds the libFuzzer targets of Fuzz/ (Swift, -sanitize=fuzzer,address) and runs each for
# SECONDS (default 60) on a copy of its committed seed corpus plus its recorded regressions.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
# A crash, sanitizer report, leak, hang (> 10 s on one input) or out-of-memory stops that
# target; its input is copied into Fuzz/Regressions/<target>/ (replayed by `make test` from then
# on) and the script exits non-zero. The committed corpus is never grown by a run.
# With CAPSTAN_FUZZ_OUT set, one JSON line per target is appended to that file.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
all=(manifest jsonrpc mcp-headers backend-http sse)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")

describe() {
    case "$1" in
        manifest) echo "manifest repository files: YAML with positions, decoding, validation, then routes and plan" ;;
        jsonrpc) echo "JSON bodies and JSON-RPC messages and batches, client and backend side" ;;
        mcp-headers) echo "POST /mcp headers: Origin, Accept, Content-Type, 2026-07-28 Mcp-Method/Mcp-Name (base64) against the body" ;;
        backend-http) echo "HTTP/1.1 responses from backends: heads, Content-Length, chunked, until-close, JSON and SSE bodies" ;;
        sse) echo "text/event-stream from backends, split anywhere, and the messages in its events" ;;
        *) echo "unknown" ;;
    esac
}

record() {  # target seconds runs crashes ok
    [ -n "${CAPSTAN_FUZZ_OUT:-}" ] || return 0
    printf '{"target": "%s", "parses": "%s", "seconds": %s, "runs": %s, "crashes": %s, "ok": %s}\n' \
        "$1" "$(describe "$1")" "$2" "$3" "$4" "$5" >> "$CAPSTAN_FUZZ_OUT"
}

# The fuzz package resolves the main package's dependencies itself; start from the main
# package's pins so both build the same versions.
if [ -f Package.resolved ] && [ ! -f Fuzz/Package.resolved ]; then cp Package.resolved Fuzz/Package.resolved; fi

echo "fuzz: building ${targets[*]} (-sanitize=fuzzer,address)" >&2
build_start=$(date +%s)
build() {  # a product, or with none every target of the fuzz package
    swift build --package-path Fuzz --scratch-path Fuzz/.build -c debug \
        -Xswiftc -sanitize=fuzzer,address "$@" >&2
}
failed_build=0
if [ $# -eq 0 ]; then
    build || failed_build=1
else
    for t in "${targets[@]}"; do build --product "$t" || failed_build=1; done
fi
if [ $failed_build -ne 0 ]; then
    echo "fuzz: the fuzz targets did not build" >&2
    for t in "${targets[@]}"; do record "$t" 0 0 0 false; done
    exit 1
fi
echo "fuzz: built in $(( $(date +%s) - build_start )) s" >&2
bin=Fuzz/.build/debug

# libFuzzer prints the stack; the Swift runtime's own backtracer would only slow each crash down.
export SWIFT_BACKTRACE=enable=no
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
passed=0
for t in "${targets[@]}"; do
    corpus="$work/$t/corpus"
    artifacts="$work/$t/artifacts"
    mkdir -p "$corpus" "$artifacts"
    cp Fuzz/Corpus/"$t"/* "$corpus"/
    if [ -d Fuzz/Regressions/"$t" ] && [ -n "$(ls -A Fuzz/Regressions/"$t")" ]; then
        cp Fuzz/Regressions/"$t"/* "$corpus"/
    fi
    dict=()
    [ -f Fuzz/Dictionaries/"$t".dict ] && dict=(-dict=Fuzz/Dictionaries/"$t".dict)
    log="$work/$t/log"
    start=$(date +%s)
    code=0
    "$bin/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" "${dict[@]}" "$corpus" > "$log" 2>&1 || code=$?
    elapsed=$(( $(date +%s) - start ))
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    runs=${runs:-0}
    found=$(ls -A "$artifacts")
    if [ $code -eq 0 ] && [ -z "$found" ]; then
        coverage=$(grep -o 'DONE *cov: [0-9]* ft: [0-9]* corp: [0-9]*' "$log" | sed 's/DONE *//' | tail -1)
        echo "fuzz: $t: $runs runs in $elapsed s ($(( runs / (elapsed > 0 ? elapsed : 1) ))/s), $coverage, no crash" >&2
        record "$t" "$elapsed" "$runs" 0 true
        passed=$((passed + 1))
        continue
    fi
    status=1
    # The report (what failed, then the stack) is what someone fixing it needs first.
    grep -E 'Fatal error|ERROR:|SUMMARY:' "$log" | head -5 >&2 || true
    grep -v '^#[0-9]' "$log" | tail -30 >&2 || true
    if [ -n "$found" ]; then
        mkdir -p Fuzz/Regressions/"$t"
        cp "$artifacts"/* Fuzz/Regressions/"$t"/
        echo "fuzz: $t FAILED (exit $code); kept $(echo $found) in Fuzz/Regressions/$t/" >&2
        record "$t" "$elapsed" "$runs" 1 false
    else
        echo "fuzz: $t FAILED (exit $code) without an input to keep" >&2
        record "$t" "$elapsed" "$runs" 0 false
    fi
done
echo "fuzz: $passed passed, $(( ${#targets[@]} - passed )) failed" >&2
exit $status
