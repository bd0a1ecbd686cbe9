"""The JSON Schemas in schemas/ and the Swift validator (`capstan validate`) must agree.

Both implement docs/manifests.md. For every repository in Tests/Fixtures/valid/ and
examples/, the Swift validator must say "valid" and the schemas must accept every document.
For every case in Tests/Fixtures/invalid/, the Swift validator must say "invalid", and the
case's EXPECT file says what the schemas do with it:

    schema: reject        the schemas reject at least one document
    schema: accept        only a cross-reference check catches it: the schemas accept all
    schema: load-error    not loadable YAML (syntax, duplicate keys, bad UTF-8, alias bombs)
    <file>:<line>:<column>: <message substring>      (any number of lines, optional)

Tests whose name contains "swift" need the built CLI: `swift build`, or set CAPSTAN_BIN.
`pytest -k "not swift"` runs the schema side alone.
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "schemas"
FIXTURES = REPO / "Tests" / "Fixtures"
MANIFEST_SCHEMA_ID = "https://capstan.dev/schemas/v1/manifest.schema.json"
CONFIG_SCHEMA_ID = "https://capstan.dev/schemas/v1/capstan-config.schema.json"


# --------------------------------------------------------------------------- YAML 1.2 core


class Core12Loader(yaml.SafeLoader):
    """PyYAML's SafeLoader with the YAML 1.2 core schema instead of YAML 1.1's resolvers.

    `no`, `yes`, `on`, `off`, `1:30`, `2024-01-01` and `<<` stay strings; `012` is twelve.
    Duplicate keys are an error, as they are for `capstan validate`.
    """


Core12Loader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in [
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        list("-+.0123456789"),
    ),
]:
    Core12Loader.add_implicit_resolver(_tag, re.compile(_pattern), _first)


def _construct_bool(loader, node):
    value = loader.construct_scalar(node)
    if value in ("true", "True", "TRUE"):
        return True
    if value in ("false", "False", "FALSE"):
        return False
    raise yaml.constructor.ConstructorError(None, None, f"not a YAML 1.2 boolean: {value!r}", node.start_mark)


def _construct_int(loader, node):
    value = loader.construct_scalar(node)
    if re.fullmatch(r"0o[0-7]+", value):
        return int(value[2:], 8)
    if re.fullmatch(r"0x[0-9a-fA-F]+", value):
        return int(value[2:], 16)
    if re.fullmatch(r"[-+]?[0-9]+", value):
        return int(value, 10)
    raise yaml.constructor.ConstructorError(None, None, f"not a YAML 1.2 integer: {value!r}", node.start_mark)


def _construct_float(loader, node):
    value = loader.construct_scalar(node)
    body = value.lstrip("+-")
    if body in (".inf", ".Inf", ".INF"):
        return -math.inf if value.startswith("-") else math.inf
    if value in (".nan", ".NaN", ".NAN"):
        return math.nan
    return float(value)


def _construct_mapping(loader, node, deep=False):
    if isinstance(node, yaml.MappingNode):
        seen = {}
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                continue  # the base constructor reports unhashable keys
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark,
                    f"found duplicate key {key!r} (first at line {seen[key].line + 1})", key_node.start_mark)
            seen[key] = key_node.start_mark
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


Core12Loader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)
Core12Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
Core12Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
Core12Loader.construct_mapping = _construct_mapping


def load_documents(text: str) -> list:
    """Every non-empty document of a YAML stream (empty documents are ignored)."""
    return [doc for doc in yaml.load_all(text, Loader=Core12Loader) if doc is not None]


def load_file(path: Path) -> list:
    return load_documents(path.read_bytes().decode("utf-8"))


# --------------------------------------------------------------------------- schemas


@functools.cache
def registry() -> Registry:
    resources = []
    for path in sorted(SCHEMAS.glob("*.json")):
        contents = json.loads(path.read_text())
        resources.append((contents["$id"], Resource.from_contents(contents)))
    return Registry().with_resources(resources)


@functools.cache
def validator(schema_id: str) -> Draft202012Validator:
    schema = registry().contents(schema_id)
    return Draft202012Validator(schema, registry=registry())


def schema_errors(document, schema_id: str = MANIFEST_SCHEMA_ID) -> list[str]:
    errors = []
    for error in validator(schema_id).iter_errors(document):
        where = "/".join(str(p) for p in error.absolute_path) or "(document)"
        errors.append(f"{where}: {error.message}")
    return errors


# --------------------------------------------------------------------------- repository scan


def glob_regex(pattern: str) -> re.Pattern:
    """`*` and `?` stay within one path component; `**` crosses directories."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:[^/]+/)*", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + r"\Z")


def read_config(repo: Path) -> dict:
    path = repo / "capstan.yaml"
    if not path.is_file():
        return {}
    docs = load_file(path)  # more than one document is an error that schema_results reports
    return docs[0] if docs and isinstance(docs[0], dict) else {}


def manifest_files(repo: Path) -> list[Path]:
    """The files `capstan validate` reads, as docs/manifests.md says."""
    repo = repo.resolve()
    config = read_config(repo)
    root = config.get("root", ".")
    if not isinstance(root, str) or not (repo / root).resolve().is_relative_to(repo):
        return []  # an invalid root: only the config's own schema check remains
    root = (repo / root).resolve()
    exclude = config.get("exclude")
    excludes = [glob_regex(g) for g in exclude if isinstance(g, str)] if isinstance(exclude, list) else []
    candidates = []
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            path = Path(directory, name)
            if path.suffix not in (".yaml", ".yml") or path == repo / "capstan.yaml":
                continue
            if any(rx.match(path.relative_to(root).as_posix()) for rx in excludes):
                continue
            candidates.append(path)

    # Project contexts (relative to the repository root) are never scanned.
    contexts = set()
    for path in candidates:
        try:
            docs = load_file(path)
        except (yaml.YAMLError, UnicodeDecodeError):
            continue
        for doc in docs:
            if isinstance(doc, dict) and doc.get("kind") == "Project":
                context = (doc.get("spec") or {}).get("context")
                if isinstance(context, str) and context:
                    contexts.add(Path(os.path.realpath(repo / context)))  # a symlink hides its target
    return [p for p in candidates if not any(Path(os.path.realpath(p)).is_relative_to(c) for c in contexts)]


def schema_results(repo: Path) -> list[tuple[str, int, list[str]]]:
    """(file, document index, schema errors) for every document of a repository."""
    repo = repo.resolve()
    results = []
    config_path = repo / "capstan.yaml"
    if config_path.is_file():
        for i, doc in enumerate(load_file(config_path)):
            results.append(("capstan.yaml", i, schema_errors(doc, CONFIG_SCHEMA_ID)))
    for path in manifest_files(repo):
        for i, doc in enumerate(load_file(path)):
            results.append((path.relative_to(repo).as_posix(), i, schema_errors(doc)))
    return results


# --------------------------------------------------------------------------- Swift side


def capstan_bin() -> Path:
    return Path(os.environ.get("CAPSTAN_BIN", REPO / ".build" / "debug" / "capstan"))


@functools.cache
def swift_validate(repo: Path) -> dict:
    binary = capstan_bin()
    if not binary.exists():
        pytest.fail(f"capstan CLI not found at {binary}: run `swift build` or set CAPSTAN_BIN")
    # Run from inside the repository: diagnostics name files as seen from the working directory.
    proc = subprocess.run([str(binary), "validate", "-o", "json", "."], cwd=repo,
                          capture_output=True, text=True, timeout=120)
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"capstan validate printed no JSON (exit {proc.returncode}):\n"
                    f"{proc.stdout}\n{proc.stderr}")
    assert proc.returncode == (0 if report["valid"] else 1), \
        f"exit code {proc.returncode} does not match valid={report['valid']}"
    for diagnostic in report["diagnostics"]:
        diagnostic["file"] = Path(os.path.relpath(repo / diagnostic["file"], repo)).as_posix()
    return report


def describe(report: dict) -> str:
    return "\n".join(f"  {d['file']}:{d['line']}:{d['column']}: {d['severity']}: {d['message']}"
                     for d in report["diagnostics"]) or "  (no diagnostics)"


# --------------------------------------------------------------------------- cases


def _dirs(parent: Path) -> list[Path]:
    return sorted(p for p in parent.iterdir() if p.is_dir()) if parent.is_dir() else []


# examples/ also holds things that are not manifest repositories (a systemd unit).
VALID_REPOS = _dirs(FIXTURES / "valid") + [p for p in _dirs(REPO / "examples") if (p / "capstan.yaml").is_file()]
VALID_IDS = [p.relative_to(REPO).as_posix() for p in VALID_REPOS]
INVALID_CASES = _dirs(FIXTURES / "invalid")
INVALID_IDS = [p.name for p in INVALID_CASES]

EXPECT_LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<column>\d+): (?P<message>.+)$")


def read_expect(case: Path) -> tuple[str, list[dict]]:
    expect = case / "EXPECT"
    assert expect.is_file(), f"{case.name}: missing EXPECT file"
    lines = expect.read_text().splitlines()
    assert lines, f"{case.name}: EXPECT is empty"
    head = re.fullmatch(r"schema:\s*(reject|accept|load-error)\s*", lines[0])
    assert head, f"{case.name}: EXPECT must start with 'schema: reject|accept|load-error', not {lines[0]!r}"
    diagnostics = []
    for line in lines[1:]:
        if not line.strip() or line.startswith("#"):
            continue
        m = EXPECT_LINE.match(line)
        assert m, f"{case.name}: EXPECT line is not <file>:<line>:<column>: <message>: {line!r}"
        diagnostics.append(dict(m.groupdict(), line=int(m["line"]), column=int(m["column"])))
    return head[1], diagnostics


@pytest.mark.parametrize("schema_file", sorted(p.name for p in SCHEMAS.glob("*.json")))
def test_schema_is_valid_draft_2020_12(schema_file):
    schema = json.loads((SCHEMAS / schema_file).read_text())
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://capstan.dev/schemas/v1/{schema_file}"


def test_every_ref_resolves_by_id_and_by_file_path():
    """python-jsonschema resolves `$ref`s against `$id`, editors against the file's path."""
    for path in sorted(SCHEMAS.glob("*.json")):
        resolver = registry().resolver(f"https://capstan.dev/schemas/v1/{path.name}")
        for ref in re.findall(r'"\$ref":\s*"([^"]+)"', path.read_text()):
            file = ref.split("#", 1)[0]
            assert not file or (SCHEMAS / file).is_file(), f"{path.name}: $ref {ref} is not a file in schemas/"
            assert resolver.lookup(ref).contents is not None, f"{path.name}: $ref {ref} does not resolve"


@pytest.mark.parametrize("repo", VALID_REPOS, ids=VALID_IDS)
def test_schema_accepts_valid_repository(repo):
    results = schema_results(repo)
    assert any(file != "capstan.yaml" for file, _, _ in results), "no manifest documents found"
    failures = [f"{file} (document {i + 1}): {e}" for file, i, errors in results for e in errors]
    assert not failures, "schema rejects a valid repository:\n" + "\n".join(failures)


@pytest.mark.parametrize("repo", VALID_REPOS, ids=VALID_IDS)
def test_swift_accepts_valid_repository(repo):
    report = swift_validate(repo)
    assert report["valid"], "capstan validate rejects a valid repository:\n" + describe(report)
    assert not report["diagnostics"]


def test_invalid_cases_are_well_formed():
    """Holds with zero cases too: the lead and other helpers add them over time."""
    for case in INVALID_CASES:
        read_expect(case)


@pytest.mark.parametrize("case", INVALID_CASES, ids=INVALID_IDS)
def test_swift_and_schema_agree_on_invalid_case(case):
    expectation, _ = read_expect(case)
    report = swift_validate(case)
    assert not report["valid"], f"{case.name}: capstan validate accepts it"
    assert report["diagnostics"], f"{case.name}: invalid without a diagnostic"
    if expectation == "load-error":
        return
    results = schema_results(case)
    rejected = [(file, i, errors) for file, i, errors in results if errors]
    if expectation == "reject":
        assert rejected, f"{case.name}: EXPECT says schema: reject, but the schemas accept every document"
    else:
        assert not rejected, (f"{case.name}: EXPECT says schema: accept, but the schemas reject:\n"
                              + "\n".join(f"  {f} (document {i + 1}): {e}" for f, i, es in rejected for e in es))


@pytest.mark.parametrize("case", INVALID_CASES, ids=INVALID_IDS)
def test_swift_reports_expected_diagnostics(case):
    _, expected = read_expect(case)
    report = swift_validate(case)
    for want in expected:
        assert any(d["file"] == want["file"] and d["line"] == want["line"] and d["column"] == want["column"]
                   and want["message"] in d["message"] for d in report["diagnostics"]), (
            f"{case.name}: expected {want['file']}:{want['line']}:{want['column']}: ...{want['message']}...; got\n"
            + describe(report))


# --------------------------------------------------------------------------- fixture coverage


def _schema_paths(schema: dict, base: str, prefix: tuple = ()) -> set[tuple]:
    """Property paths a schema defines (`[]` for list items), following `$ref`s."""
    paths = set()
    if "$ref" in schema:
        target = registry().resolver(base).lookup(schema["$ref"]).contents
        paths |= _schema_paths(target, _base_of(base, schema["$ref"]), prefix)
    for name, sub in schema.get("properties", {}).items():
        if isinstance(sub, dict):
            paths.add(prefix + (name,))
            paths |= _schema_paths(sub, base, prefix + (name,))
    if isinstance(schema.get("items"), dict):
        paths |= _schema_paths(schema["items"], base, prefix + ("[]",))
    return paths


def _base_of(base: str, ref: str) -> str:
    file = ref.split("#", 1)[0]
    return base.rsplit("/", 1)[0] + "/" + file if file else base


def _has_path(value, path: tuple) -> bool:
    if not path:
        return True
    head, rest = path[0], path[1:]
    if head == "[]":
        return isinstance(value, list) and any(_has_path(item, rest) for item in value)
    return isinstance(value, dict) and head in value and _has_path(value[head], rest)


def test_valid_fixtures_use_every_field_of_every_kind():
    documents = []
    configs = []
    for repo in VALID_REPOS:
        if (repo / "capstan.yaml").is_file():
            configs.append(read_config(repo))
        for path in manifest_files(repo):
            documents.extend(load_file(path))
    missing = []
    for kind in ("Project", "Server", "Client", "Policy"):
        schema_id = f"https://capstan.dev/schemas/v1/{kind.lower()}.schema.json"
        docs = [d for d in documents if d.get("kind") == kind]
        for path in sorted(_schema_paths(registry().contents(schema_id), schema_id)):
            if not any(_has_path(d, path) for d in docs):
                missing.append(f"{kind}: {'.'.join(path)}")
    for path in sorted(_schema_paths(registry().contents(CONFIG_SCHEMA_ID), CONFIG_SCHEMA_ID)):
        if not any(_has_path(c, path) for c in configs):
            missing.append(f"capstan.yaml: {'.'.join(path)}")
    assert not missing, "no valid fixture uses:\n" + "\n".join(missing)
    servers = [d["spec"] for d in documents if d.get("kind") == "Server"]
    assert {s.get("transport", "stdio") for s in servers} == {"stdio", "http"}
    assert {r["effect"] for d in documents if d.get("kind") == "Policy" for r in d["spec"]["rules"]} == {"allow", "deny"}


# --------------------------------------------------------------------------- schema side alone

CLIENT = """\
apiVersion: capstan/v1
kind: Client
metadata: {name: alice}
spec: {app: claude-code, tokenHash: "sha256:%s"}
""" % ("ab" * 32)


def server(spec: str, name: str = "weather") -> str:
    return f"apiVersion: capstan/v1\nkind: Server\nmetadata: {{name: {name}}}\nspec:\n" + \
        "".join(f"  {line}\n" for line in spec.strip().splitlines())


def project(spec: str) -> str:
    return "apiVersion: capstan/v1\nkind: Project\nmetadata: {name: weather}\nspec:\n" + \
        "".join(f"  {line}\n" for line in spec.strip().splitlines())


def policy(spec: str) -> str:
    return "apiVersion: capstan/v1\nkind: Policy\nmetadata: {name: team}\nspec:\n" + \
        "".join(f"  {line}\n" for line in spec.strip().splitlines())


RULES = "rules: [{server: weather, tools: ['*'], effect: allow}]"

ACCEPTED = {
    "client": CLIENT,
    "labels-typed-by-yaml-1.2": CLIENT.replace("{name: alice}", "{name: alice, labels: {team: data, on-call: no, level: 3, beta: true, v: 1.10}}"),
    "annotations-long-value": CLIENT.replace("{name: alice}", "{name: alice, annotations: {note: %s}}" % ("x" * 300)),
    "server-stdio-minimal": server("image: mcp/time"),
    "server-http": server("image: ghcr.io/acme/weather:1.2.3\ntransport: http\nport: 8000\npath: /api/mcp"),
    "server-image-registry-port-digest": server("image: localhost:5000/team/tool:v1@sha256:" + "0" * 64),
    "server-image-digest-only": server("image: mcp/time@sha256:" + "a" * 64),
    "server-image-uppercase-registry-host": server("image: Registry.Example.com/team/tool:V1"),
    "server-env-yaml-1.2": server("project: weather\nenv: {FLAG: no, N: 3, X: 0.5, ON: true, OFF: off, E: ''}"),
    "server-command-scalars": server("project: weather\ncommand: [--port, 8080, --verbose, true, 0.5]"),
    "server-user-uid-gid-plain": server("project: weather\nhardening: {user: 1000:1000}"),
    "server-user-name": server("project: weather\nhardening: {user: nobody, capAdd: [NET_BIND_SERVICE, CHOWN], readOnlyRootFilesystem: false, noNewPrivileges: TRUE}"),
    "server-memory-bytes": server("project: weather\nresources: {memory: 6291456, cpus: 1024, pids: 1}"),
    "server-memory-exactly-6Mi": server("project: weather\nresources: {memory: 6Mi, cpus: 0.001}"),
    "server-memory-fraction": server("project: weather\nresources: {memory: 0.5Gi}"),
    "server-network-name": server("project: weather\nnetwork: my_net.internal-1"),
    "server-tool-fits-128": server("project: weather\ntools: [%s]" % ("t" * 121), name="abcde"),
    "project-full": project("context: projects/weather\ndockerfile: docker/Dockerfile\nbuildArgs: {PY: '3.11', N: 2, DEBUG: no}\ntarget: runtime"),
    "project-context-with-inner-dotdot": project("context: projects/../projects/weather"),
    "policy-selector": policy("selector: {matchLabels: {team: data}}\n" + RULES),
    "policy-both": policy("clients: [alice]\nselector: {matchLabels: {team: data}}\nrules: [{server: '*', tools: ['get_*', 'list_?'], effect: deny}]"),
    "empty-documents-ignored": "---\n---\n# only a comment\n---\n" + CLIENT,
}

REJECTED = {
    "unknown-top-level-field": CLIENT + "status: {}\n",
    "unknown-spec-field": CLIENT.replace("app: claude-code", "app: claude-code, colour: red"),
    "unknown-metadata-field": CLIENT.replace("{name: alice}", "{name: alice, namespace: x}"),
    "unknown-kind": CLIENT.replace("kind: Client", "kind: Deployment"),
    "wrong-api-version": CLIENT.replace("capstan/v1", "capstan/v2"),
    "missing-spec": "apiVersion: capstan/v1\nkind: Client\nmetadata: {name: alice}\n",
    "missing-name": CLIENT.replace("{name: alice}", "{labels: {a: b}}"),
    "name-uppercase": CLIENT.replace("name: alice", "name: Alice"),
    "name-trailing-dash": CLIENT.replace("name: alice", "name: alice-"),
    "name-too-long": CLIENT.replace("name: alice", "name: " + "a" * 64),
    "name-number": CLIENT.replace("name: alice", "name: 42"),
    "label-value-too-long": CLIENT.replace("{name: alice}", "{name: alice, labels: {a: %s}}" % ("x" * 64)),
    "label-key-bad": CLIENT.replace("{name: alice}", "{name: alice, labels: {-a: b}}"),
    "label-value-null": CLIENT.replace("{name: alice}", "{name: alice, labels: {a: }}"),
    "label-value-list": CLIENT.replace("{name: alice}", "{name: alice, labels: {a: [b]}}"),
    "client-unknown-app": CLIENT.replace("claude-code", "emacs"),
    "client-token-hash-uppercase": CLIENT.replace("ab" * 32, "AB" * 32),
    "client-token-hash-short": CLIENT.replace("ab" * 32, "ab" * 31),
    "client-token-hash-no-prefix": CLIENT.replace('"sha256:', '"'),
    "client-missing-token-hash": CLIENT.replace(', tokenHash: "sha256:%s"' % ("ab" * 32), ""),
    "server-project-and-image": server("project: weather\nimage: mcp/time"),
    "server-neither-project-nor-image": server("transport: stdio"),
    "server-port-with-stdio": server("project: weather\nport: 8000"),
    "server-port-with-default-transport": server("project: weather\ntransport: stdio\nport: 8000"),
    "server-path-with-stdio": server("project: weather\npath: /mcp"),
    "server-http-without-port": server("project: weather\ntransport: http"),
    "server-port-zero": server("project: weather\ntransport: http\nport: 0"),
    "server-port-too-big": server("project: weather\ntransport: http\nport: 65536"),
    "server-port-string": server("project: weather\ntransport: http\nport: '8000'"),
    "server-path-relative": server("project: weather\ntransport: http\nport: 80\npath: mcp"),
    "server-unknown-transport": server("project: weather\ntransport: sse"),
    "server-image-uppercase": server("image: MCP/time"),
    "server-image-bad-digest": server("image: mcp/time@sha256:abc"),
    "server-image-empty-component": server("image: mcp//time"),
    "server-image-double-dot": server("image: mcp/a..b"),
    "server-image-host-underscore": server("image: my_registry.example.com/tool"),
    "server-project-not-dns": server("project: Weather_App"),
    "server-env-bad-name": server("project: weather\nenv: {1BAD: x}"),
    "server-env-null-value": server("project: weather\nenv: {A: }"),
    "server-env-map-value": server("project: weather\nenv: {A: {b: c}}"),
    "server-command-not-list": server("project: weather\ncommand: --verbose"),
    "server-command-null-item": server("project: weather\ncommand: [a, null]"),
    "server-secret-missing-secret": server("project: weather\nsecrets: [{env: KEY}]"),
    "server-secret-bad-name": server("project: weather\nsecrets: [{env: KEY, secret: My_Secret}]"),
    "server-cpus-zero": server("project: weather\nresources: {cpus: 0}"),
    "server-cpus-too-many": server("project: weather\nresources: {cpus: 1025}"),
    "server-cpus-quoted": server("project: weather\nresources: {cpus: '0.5'}"),
    "server-cpus-inf": server("project: weather\nresources: {cpus: .inf}"),
    "server-memory-no-unit-string": server("project: weather\nresources: {memory: '268435456'}"),
    "server-memory-bad-unit": server("project: weather\nresources: {memory: 256MB}"),
    "server-memory-too-small": server("project: weather\nresources: {memory: 5Mi}"),
    "server-memory-too-small-bytes": server("project: weather\nresources: {memory: 6291455}"),
    "server-memory-too-small-decimal": server("project: weather\nresources: {memory: 6.29M}"),
    "server-pids-zero": server("project: weather\nresources: {pids: 0}"),
    "server-resources-unknown": server("project: weather\nresources: {gpus: 1}"),
    "server-network-bad": server("project: weather\nnetwork: container:other"),
    "server-tools-duplicate": server("project: weather\ntools: [a, a]"),
    "server-tool-bad-char": server("project: weather\ntools: ['get forecast']"),
    "server-tool-too-long-for-name": server("project: weather\ntools: [%s]" % ("t" * 122), name="abcde"),
    "server-yes-for-boolean": server("project: weather\nhardening: {readOnlyRootFilesystem: yes}"),
    "server-on-for-boolean": server("project: weather\nhardening: {noNewPrivileges: on}"),
    "server-cap-unknown": server("project: weather\nhardening: {capAdd: [SUPERPOWER]}"),
    "server-cap-prefixed": server("project: weather\nhardening: {capAdd: [CAP_NET_ADMIN]}"),
    "server-cap-duplicate": server("project: weather\nhardening: {capAdd: [CHOWN, CHOWN]}"),
    "server-user-int": server("project: weather\nhardening: {user: 1000}"),
    "server-user-bad": server("project: weather\nhardening: {user: 'root:'}"),
    "server-hardening-privileged": server("project: weather\nhardening: {privileged: true}"),
    "project-missing-context": project("dockerfile: Dockerfile"),
    "project-absolute-context": project("context: /srv/weather"),
    "project-escaping-context": project("context: ../weather"),
    "project-escaping-context-dot": project("context: ./../weather"),
    "project-empty-context": project("context: ''"),
    "project-escaping-dockerfile": project("context: weather\ndockerfile: ../Dockerfile"),
    "project-bad-build-arg-name": project("context: weather\nbuildArgs: {PYTHON-VERSION: '3.11'}"),
    "project-bad-target": project("context: weather\ntarget: -runtime"),
    "project-null-target": project("context: weather\ntarget:"),
    "policy-neither-clients-nor-selector": policy(RULES),
    "policy-empty-clients": policy("clients: []\n" + RULES),
    "policy-empty-selector": policy("selector: {}\n" + RULES),
    "policy-empty-match-labels": policy("selector: {matchLabels: {}}\n" + RULES),
    "policy-empty-rules": policy("clients: [alice]\nrules: []"),
    "policy-missing-rules": policy("clients: [alice]"),
    "policy-rule-empty-tools": policy("clients: [alice]\nrules: [{server: weather, tools: [], effect: allow}]"),
    "policy-rule-bad-effect": policy("clients: [alice]\nrules: [{server: weather, tools: ['*'], effect: permit}]"),
    "policy-rule-missing-effect": policy("clients: [alice]\nrules: [{server: weather, tools: ['*']}]"),
    "policy-rule-bad-server": policy("clients: [alice]\nrules: [{server: 'weather*', tools: ['*'], effect: allow}]"),
    "policy-rule-bad-tool-glob": policy("clients: [alice]\nrules: [{server: weather, tools: ['get[0-9]'], effect: allow}]"),
    "policy-bad-client-name": policy("clients: [Alice]\n" + RULES),
}

# What JSON Schema cannot say: `capstan validate` must reject each of these, the schemas accept
# them (cases for `schema: accept`). Each is completed into a repository that is otherwise valid.
SCHEMA_GAPS = {
    "integral-float-for-integer-port": server("project: weather\ntransport: http\nport: 8000.0"),
    "integral-float-for-memory-bytes": server("project: weather\nresources: {memory: 1e9}"),
    "integral-float-for-pids": server("project: weather\nresources: {pids: 64.0}"),
    "nan-cpus": server("project: weather\nresources: {cpus: .nan}"),
    "env-set-in-env-and-secrets": server("project: weather\nenv: {KEY: x}\nsecrets: [{env: KEY, secret: key}]"),
    "env-set-twice-in-secrets": server("project: weather\nsecrets: [{env: KEY, secret: a}, {env: KEY, secret: b}]"),
    "label-number-literal-over-63": server("project: weather", name="weather").replace(
        "{name: weather}", "{name: weather, labels: {n: %s}}" % ("1" * 64)),
    "context-escapes-deeper": project("context: projects/../../weather"),
    "dockerfile-escapes-deeper": project("context: projects/weather\ndockerfile: sub/../../Dockerfile"),
}


def _complete_repo(tmp_path: Path, document: str) -> Path:
    """A repository holding `document` plus whatever it refers to (Project, Server and Client
    `weather`/`alice`), so that `capstan validate` judges the document itself."""
    for dockerfile in ("projects/weather/Dockerfile", "projects/weather/docker/Dockerfile",
                       "weather/Dockerfile", "Dockerfile"):
        (tmp_path / dockerfile).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / dockerfile).write_text("FROM python:3.11-slim-bookworm\n")
    kinds = set(re.findall(r"^kind: (\w+)", document, re.M))
    base = []
    if "Project" not in kinds:
        base.append(project("context: projects/weather"))
    if "Server" not in kinds:
        base.append(server("image: mcp/time"))
    if "Client" not in kinds:
        base.append(CLIENT)
    (tmp_path / "base.yaml").write_text("---\n".join(base))
    (tmp_path / "case.yaml").write_text(document)
    return tmp_path


@pytest.mark.parametrize("name", SCHEMA_GAPS)
def test_schema_accepts_what_only_capstan_validate_can_reject(name, tmp_path):
    repo = _complete_repo(tmp_path, SCHEMA_GAPS[name])
    assert all(not errors for _, _, errors in schema_results(repo))


@pytest.mark.parametrize("name", SCHEMA_GAPS)
def test_swift_rejects_what_the_schema_cannot_express(name, tmp_path):
    report = swift_validate(_complete_repo(tmp_path, SCHEMA_GAPS[name]))
    assert not report["valid"], f"capstan validate accepts {name}"


CONFIG_ACCEPTED = {
    "full": "root: deploy\ninstance: team-a\nexclude: ['charts/**', '**/*.helm.yaml', 'ci/?.yml']",
    "instance-only": "instance: quickstart",
    "max-context-size-quantity": "maxContextSize: 2Gi",
    "max-context-size-bytes": "maxContextSize: 1048576",
    "max-context-size-fraction": "maxContextSize: 0.5Gi",
    "max-context-size-one-byte": "maxContextSize: 0.0009765625Ki",
}

CONFIG_REJECTED = {
    "unknown-field": "instance: a\nprune: true",
    "instance-not-dns": "instance: Team_A",
    "instance-number": "instance: 7",
    "root-absolute": "root: /etc",
    "root-escaping": "root: ../other",
    "exclude-not-list": "exclude: charts/**",
    "exclude-absolute": "exclude: [/charts/**]",
    "max-context-size-words": "maxContextSize: lots",
    "max-context-size-zero": "maxContextSize: 0",
    "max-context-size-under-a-byte": "maxContextSize: 0.0009Ki",
    "is-a-manifest": CLIENT,
}


@pytest.mark.parametrize("name", ACCEPTED)
def test_schema_accepts(name):
    docs = load_documents(ACCEPTED[name])
    assert docs
    for doc in docs:
        assert not schema_errors(doc), schema_errors(doc)


@pytest.mark.parametrize("name", REJECTED)
def test_schema_rejects(name):
    docs = load_documents(REJECTED[name])
    assert len(docs) == 1
    assert schema_errors(docs[0]), f"schema accepts:\n{REJECTED[name]}"


@pytest.mark.parametrize("name", ACCEPTED)
def test_swift_accepts_what_the_schema_accepts(name, tmp_path):
    report = swift_validate(_complete_repo(tmp_path, ACCEPTED[name]))
    assert report["valid"], f"capstan validate rejects {name}:\n" + describe(report)


@pytest.mark.parametrize("name", REJECTED)
def test_swift_rejects_what_the_schema_rejects(name, tmp_path):
    report = swift_validate(_complete_repo(tmp_path, REJECTED[name]))
    assert not report["valid"], f"capstan validate accepts {name}:\n{REJECTED[name]}"


@pytest.mark.parametrize("name", CONFIG_ACCEPTED)
def test_config_schema_accepts(name):
    assert not schema_errors(load_documents(CONFIG_ACCEPTED[name])[0], CONFIG_SCHEMA_ID)


@pytest.mark.parametrize("name", CONFIG_REJECTED)
def test_config_schema_rejects(name):
    assert schema_errors(load_documents(CONFIG_REJECTED[name])[0], CONFIG_SCHEMA_ID)


def _config_repo(tmp_path: Path, config: str) -> Path:
    (tmp_path / "capstan.yaml").write_text(config)
    root = tmp_path / "deploy" if "root: deploy" in config else tmp_path
    root.mkdir(exist_ok=True)
    (root / "clients.yaml").write_text(CLIENT)
    return tmp_path


@pytest.mark.parametrize("name", CONFIG_ACCEPTED)
def test_swift_accepts_config_the_schema_accepts(name, tmp_path):
    report = swift_validate(_config_repo(tmp_path, CONFIG_ACCEPTED[name]))
    assert report["valid"], f"capstan validate rejects {name}:\n" + describe(report)


@pytest.mark.parametrize("name", CONFIG_REJECTED)
def test_swift_rejects_config_the_schema_rejects(name, tmp_path):
    report = swift_validate(_config_repo(tmp_path, CONFIG_REJECTED[name]))
    assert not report["valid"], f"capstan validate accepts {name}:\n{CONFIG_REJECTED[name]}"


def test_loader_types_scalars_by_yaml_1_2_core():
    doc = load_documents(
        "a: no\nb: yes\nc: on\nd: off\ne: True\nf: FALSE\ng: ~\nh:\ni: 012\nj: 0o17\nk: 0x1F\n"
        "l: 1:30\nm: 2024-01-01\nn: .5\no: 1e3\np: -.inf\nq: '3'\nr: 1_000\ns: y\nt: NULL\n")[0]
    assert doc == {"a": "no", "b": "yes", "c": "on", "d": "off", "e": True, "f": False, "g": None,
                   "h": None, "i": 12, "j": 15, "k": 31, "l": "1:30", "m": "2024-01-01", "n": 0.5,
                   "o": 1000.0, "p": -math.inf, "q": "3", "r": "1_000", "s": "y", "t": None}
    assert math.isnan(load_documents("x: .nan")[0]["x"])
    assert load_documents("<<: {a: 1}")[0] == {"<<": {"a": 1}}


def test_loader_rejects_duplicate_keys():
    with pytest.raises(yaml.YAMLError, match="duplicate key"):
        load_documents("a: 1\nb: 2\na: 3\n")


def test_exclude_globs():
    assert glob_regex("charts/**").match("charts/a/b.yaml")
    assert glob_regex("**/*.helm.yaml").match("x.helm.yaml")
    assert glob_regex("**/*.helm.yaml").match("a/b/x.helm.yaml")
    assert not glob_regex("*.yaml").match("a/b.yaml")
    assert glob_regex("ci/?.yml").match("ci/a.yml")
    assert not glob_regex("ci/?.yml").match("ci/ab.yml")


UNITS = {"Ki": 1024, "Mi": 1024**2, "Gi": 1024**3, "Ti": 1024**4,
         "k": 1000, "M": 1000**2, "G": 1000**3, "T": 1000**4}


def _memory_ok(quantity: str) -> bool:
    return not schema_errors(load_documents(server(f"project: weather\nresources: {{memory: '{quantity}'}}"))[0])


def test_context_size_minimum_matches_arithmetic():
    """maxContextSize is at least 1 byte: the schema's regular expression against exact arithmetic."""
    numbers = ["0", "00", "1", "0.5", "0.001", "0.0009", "0.0009765625", "0.0009765624", "0.00097656251",
               "0.000001", "0.00000095367431640625", "0.00000095367431640624", "0.000000001", "0.0000000009",
               "0.000000000931322574615478515625", "0.000000000931322574615478515624", "0.000000000001",
               "0.0000000000009094947017729282379150390625", "0.0000000000009094947017729282379150390624",
               "0.0000000000001", "00.002", "512", "1.25"]
    for number in numbers:
        for unit, multiplier in UNITS.items():
            quantity = number + unit
            want = Fraction(number) * multiplier >= 1
            got = not schema_errors({"maxContextSize": quantity}, CONFIG_SCHEMA_ID)
            assert got == want, f"{quantity}: schema says {got}, arithmetic says {want}"


def test_memory_minimum_matches_arithmetic():
    """The schema spells "at least 6Mi" as a regular expression; check it against exact arithmetic."""
    minimum = 6 * 1024**2
    numbers = ["0", "1", "5", "6", "06", "7", "10", "0.5", "5.99", "6.0", "6.291455", "6.291456",
               "6.2914561", "6.3", "6143", "6144", "6144.0", "6143.999", "6291", "6291.456",
               "6291.4559", "6292", "0.005859375", "0.005859374", "0.0058594", "0.006291456",
               "0.006291455", "0.0063", "0.000005722045898437", "0.0000057220458984375",
               "0.00000572204589843751", "0.000006291456", "0.000006291455", "0.00001", "100", "0.01"]
    for number in numbers:
        for unit, multiplier in UNITS.items():
            quantity = number + unit
            want = Fraction(number) * multiplier >= minimum
            assert _memory_ok(quantity) == want, f"{quantity}: schema says {not want}, arithmetic says {want}"
