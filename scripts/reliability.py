#!/usr/bin/env python3
"""`make reliability`: runs the reliability scenarios in their full form and a fuzzing pass,
then writes docs/RELIABILITY.md from what they recorded.

The scenarios are pytest tests (Tests/e2e/test_reliability_*.py) that call the `reliability`
fixture of Tests/e2e/conftest.py; each call is one row of the table. The fuzzing pass is
scripts/fuzz.sh, which writes one JSON line per target. Exit status: non-zero when any scenario
or fuzz target failed; the document is written either way, so a failure is on record.
"""
import datetime
import json
import os
import pathlib
import platform
import subprocess
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "RELIABILITY.md"


def run_scenarios(out: pathlib.Path) -> int:
    env = dict(os.environ, CAPSTAN_RELIABILITY="full", CAPSTAN_RELIABILITY_OUT=str(out),
               CAPSTAN_BIN=str(REPO / ".build" / "debug" / "capstan"))
    tests = sorted(str(p.relative_to(REPO)) for p in (REPO / "Tests" / "e2e").glob("test_reliability_*.py"))
    return subprocess.run([str(REPO / ".venv" / "bin" / "python"), "-m", "pytest", "-q", *tests],
                          cwd=REPO, env=env).returncode


def run_fuzzers(out: pathlib.Path, seconds: int) -> int:
    env = dict(os.environ, CAPSTAN_FUZZ_OUT=str(out))
    return subprocess.run([str(REPO / "scripts" / "fuzz.sh"), str(seconds)], cwd=REPO, env=env).returncode


def cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def numbers(values: dict) -> str:
    return "<br>".join(f"{cell(k).replace('_', ' ')}: {cell(v)}" for k, v in values.items()) or "–"


def render(rows: list, fuzz: list, commands: list) -> str:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cores = os.cpu_count()
    lines = [
        "# Reliability",
        "",
        "What Capstan does when things go wrong, measured. Written by `make reliability` "
        f"({now}, {platform.system()} {platform.machine()}, {cores} cores); `make test` runs the same "
        "scenarios in a shorter form (fewer iterations and clients) and a few seconds of each fuzz target.",
        "",
        "## Scenarios",
        "",
        "| Scenario | Injected | Outcome | Numbers | Result |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {cell(r['scenario'])} | {cell(r['injected'])} | {cell(r['outcome'])} | "
                     f"{numbers(r['numbers'])} | {'passed' if r['passed'] else '**FAILED**'} |")
    lines += ["", "## Fuzzing", "",
              "libFuzzer with AddressSanitizer (`-sanitize=fuzzer,address`), seeded from the committed "
              "corpora in `Fuzz/Corpus/`. A crash becomes a file in `Fuzz/Regressions/`, replayed by `make test`.", "",
              "| Target | What it parses | Seconds | Executions | Crashes | Result |", "|---|---|---|---|---|---|"]
    for f in fuzz:
        lines.append(f"| `{cell(f.get('target'))}` | {cell(f.get('parses', ''))} | {cell(f.get('seconds'))} | "
                     f"{cell(f.get('runs'))} | {cell(f.get('crashes'))} | {'passed' if f.get('crashes') == 0 and f.get('ok', True) else '**FAILED**'} |")
    lines += ["", "## Reproduce", "", "```sh", *commands, "```", ""]
    return "\n".join(lines)


def read_lines(path: pathlib.Path) -> list:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def main() -> int:
    seconds = int(os.environ.get("CAPSTAN_FUZZ_SECONDS", "60"))
    with tempfile.TemporaryDirectory() as tmp:
        scenario_out = pathlib.Path(tmp) / "scenarios.jsonl"
        fuzz_out = pathlib.Path(tmp) / "fuzz.jsonl"
        status = run_scenarios(scenario_out)
        fuzz_status = run_fuzzers(fuzz_out, seconds)
        rows = read_lines(scenario_out)
        fuzz = read_lines(fuzz_out)
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(render(rows, fuzz, ["make reliability                      # everything below, then this file",
                                       "CAPSTAN_FUZZ_SECONDS=300 make reliability   # longer fuzzing",
                                       "make fuzz                             # the fuzz targets alone"]))
    failed = [r["test"] for r in rows if not r["passed"]]
    print(f"reliability: {len(rows)} scenario rows, {len(failed)} failed; {len(fuzz)} fuzz targets; wrote {DOC.relative_to(REPO)}")
    if not rows:
        print("reliability: no scenario recorded anything", file=sys.stderr)
        return 1
    return 1 if status or fuzz_status or failed else 0


if __name__ == "__main__":
    sys.exit(main())
