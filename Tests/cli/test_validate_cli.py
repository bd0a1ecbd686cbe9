"""`capstan validate` as a user meets it: exit codes, one clear line per problem, JSON output."""
import json
import re

from conftest import REPO, run

LINE = re.compile(r"^(?P<file>[^:\s]+):(?P<line>\d+):(?P<col>\d+): error: (?P<msg>.+)$")


def error_lines(stdout: str) -> list[re.Match]:
    return [m for m in map(LINE.match, stdout.splitlines()) if m]


def test_quickstart_is_valid_and_summarised(capstan):
    r = run(capstan, "validate", "examples/quickstart", cwd=REPO)
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.fullmatch(r"\d+ manifests valid: \d+ projects?, \d+ servers?, \d+ clients?, \d+ polic(y|ies)\n", r.stdout)


def test_misspelt_field_is_one_line_with_a_suggestion(capstan, quickstart):
    servers = quickstart / "servers.yaml"
    text = servers.read_text()
    assert "  transport:" in text
    servers.write_text(text.replace("  transport:", "  transprot:", 1))
    line_no = next(i for i, l in enumerate(servers.read_text().splitlines(), 1) if "transprot:" in l)

    r = run(capstan, "validate", str(quickstart))
    assert r.returncode == 1
    errors = error_lines(r.stdout)
    assert len(errors) == 1, r.stdout
    e = errors[0]
    assert e["file"] == f"{quickstart}/servers.yaml"
    assert (int(e["line"]), int(e["col"])) == (line_no, 3)
    assert 'unknown field "transprot"' in e["msg"] and 'did you mean "transport"?' in e["msg"]


def test_dangling_reference_points_at_the_reference(capstan, quickstart):
    policies = quickstart / "policies.yaml"
    lines = policies.read_text().splitlines()
    i = next(i for i, l in enumerate(lines) if re.match(r"\s*-?\s*server:\s*[a-z]", l))
    col = lines[i].index("server:") + len("server: ") + 1
    name = re.search(r"server:\s*([a-z0-9-]+)", lines[i]).group(1)
    lines[i] = lines[i].replace(f"server: {name}", f"server: {name}x", 1)
    policies.write_text("\n".join(lines) + "\n")

    r = run(capstan, "validate", str(quickstart))
    assert r.returncode == 1
    errors = error_lines(r.stdout)
    assert len(errors) == 1, r.stdout
    assert (int(errors[0]["line"]), int(errors[0]["col"])) == (i + 1, col)
    assert f'"{name}x" names no Server' in errors[0]["msg"]
    assert f'did you mean "{name}"?' in errors[0]["msg"]


def test_tab_indented_file_is_one_line_that_says_tabs(capstan, quickstart):
    clients = quickstart / "clients.yaml"
    lines = clients.read_text().splitlines()
    i = next(i for i, l in enumerate(lines) if l.startswith("  ") and ":" in l)
    lines[i] = "\t" + lines[i][2:]
    clients.write_text("\n".join(lines) + "\n")

    r = run(capstan, "validate", str(quickstart))
    assert r.returncode == 1
    errors = error_lines(r.stdout)
    assert len(errors) == 1, r.stdout
    assert errors[0]["file"].endswith("clients.yaml")
    assert (int(errors[0]["line"]), int(errors[0]["col"])) == (i + 1, 1)
    assert "tab" in errors[0]["msg"] and "spaces" in errors[0]["msg"]


def test_every_problem_is_reported_at_once(capstan, tmp_path):
    (tmp_path / "a.yaml").write_text(
        "apiVersion: capstan/v1\nkind: Client\nmetadata: {name: Bad_Name}\nspec: {app: cursr, tokenHash: abc}\n"
    )
    (tmp_path / "b.yaml").write_text("apiVersion: capstan/v2\nkind: Client\nmetadata: {name: ok}\nspec: {}\n")
    r = run(capstan, "validate", str(tmp_path))
    assert r.returncode == 1
    found = {(m["file"].rsplit("/", 1)[-1], int(m["line"]), int(m["col"])) for m in error_lines(r.stdout)}
    assert {("a.yaml", 3, 18), ("a.yaml", 4, 13), ("a.yaml", 4, 31), ("b.yaml", 1, 13), ("b.yaml", 4, 7)} <= found
    assert r.stdout.rstrip().endswith("in 2 files")


def test_json_output_carries_the_same_diagnostics(capstan, quickstart):
    (quickstart / "clients.yaml").write_text(
        "apiVersion: capstan/v1\nkind: Client\nmetadata: {name: c}\nspec: {app: generic, tokenHash: nope}\n"
    )
    r = run(capstan, "validate", "-o", "json", str(quickstart))
    assert r.returncode == 1
    report = json.loads(r.stdout)
    assert report["valid"] is False
    d = [d for d in report["diagnostics"] if "tokenHash" in d["message"]]
    assert len(d) == 1
    assert d[0]["line"] == 4 and d[0]["column"] == 33 and d[0]["severity"] == "error"
    assert d[0]["file"].endswith("clients.yaml") and d[0]["hint"]

    ok = json.loads(run(capstan, "validate", "-o", "json", "examples/quickstart", cwd=REPO).stdout)
    assert ok["valid"] is True and ok["diagnostics"] == [] and ok["manifests"]["projects"] >= 1


def test_help_and_version(capstan):
    assert run(capstan, "--version").stdout.strip() != ""
    for args in (["--help"], ["validate", "--help"]):
        r = run(capstan, *args)
        assert r.returncode == 0 and "Example" in r.stdout


def test_missing_directory_is_a_clear_error(capstan, tmp_path):
    r = run(capstan, "validate", str(tmp_path / "nope"))
    assert r.returncode == 1
    assert "is not a directory" in r.stdout
