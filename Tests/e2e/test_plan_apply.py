"""plan and apply against the real engine: convergence, change detection, pruning, drift."""
import json

from conftest import project_manifest, server_manifest, sh


def test_apply_from_empty_then_second_apply_does_nothing(ws):
    ws.write("servers.yaml", server_manifest("a") + "---\n" + server_manifest("b"))
    ws.commit()
    plan = ws.plan("--detailed-exitcode")
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert "+   server.a  create (container missing)" in plan.stdout
    assert "Plan: 0 to build, 2 to create, 0 to replace, 0 to start, 0 to delete." in plan.stdout

    first = ws.apply()
    assert first.returncode == 0, first.stdout + first.stderr
    before = ws.containers()
    assert {n: s for n, (_, s) in before.items()} == {ws.name("a"): "running", ws.name("b"): "running"}

    again = ws.apply()
    assert again.returncode == 0 and "No changes." in again.stdout, again.stdout
    assert ws.containers() == before
    assert ws.plan("--detailed-exitcode").returncode == 0


def test_env_change_replaces_exactly_that_container(ws):
    ws.write("servers.yaml", server_manifest("a", env={"LEVEL": "info"}) + "---\n" + server_manifest("b"))
    ws.commit()
    assert ws.apply().returncode == 0
    before = ws.containers()

    ws.write("servers.yaml", server_manifest("a", env={"LEVEL": "debug"}) + "---\n" + server_manifest("b"))
    ws.commit()
    plan = ws.plan()
    assert "-/+ server.a  replace (env LEVEL changed)" in plan.stdout, plan.stdout
    assert '~ env LEVEL: "info" -> "debug"' in plan.stdout
    assert "server.b" not in plan.stdout

    r = ws.apply()
    assert r.returncode == 0, r.stdout + r.stderr
    after = ws.containers()
    assert after[ws.name("b")] == before[ws.name("b")]
    assert after[ws.name("a")][0] != before[ws.name("a")][0] and after[ws.name("a")][1] == "running"
    env = json.loads(sh("docker", "inspect", ws.name("a"), "--format", "{{json .Config.Env}}").stdout)
    assert "LEVEL=debug" in env
    assert set(after) == {ws.name("a"), ws.name("b")}, "no temporary container is left behind"


def test_project_file_change_rebuilds_and_replaces_and_outside_change_does_nothing(ws):
    p = ws.project
    ws.write_project()
    ws.write("manifests.yaml", project_manifest(p, f"projects/{p}") + "---\n" + server_manifest("app", project=p))
    ws.commit()
    plan = ws.plan()
    assert f"image.{p}" in plan.stdout and "build (no image built for this project yet)" in plan.stdout, plan.stdout
    r = ws.apply()
    assert r.returncode == 0, r.stdout + r.stderr
    first = ws.containers()[ws.name("app")]

    ws.write("README.md", "a file outside every context\n")
    ws.commit()
    assert ws.plan("--detailed-exitcode").returncode == 0

    ws.write_project(app_suffix="# changed\n")
    ws.commit()
    plan = ws.plan()
    assert f"image.{p}" in plan.stdout and "build (project files changed)" in plan.stdout, plan.stdout
    assert "-/+ server.app" in plan.stdout and "replace (image rebuilt)" in plan.stdout
    r = ws.apply()
    assert r.returncode == 0, r.stdout + r.stderr
    second = ws.containers()[ws.name("app")]
    assert second[0] != first[0] and second[1] == "running"


def test_removed_manifest_is_pruned_and_unowned_containers_are_never_touched(ws):
    ws.write("a.yaml", server_manifest("a"))
    ws.write("b.yaml", server_manifest("b"))
    ws.commit()
    assert ws.apply().returncode == 0
    # Look-alikes: same name pattern, even the same labels but another instance, or no labels.
    stranger = sh("docker", "create", "--network", "none", "--name", ws.name("c"), "python:3.11-slim-bookworm", "true").stdout.strip()
    other = sh("docker", "create", "--network", "none", "--name", ws.name("other") + "-x", "--label", "capstan.managed=true",
               "--label", "capstan.instance=someone-else", "--label", "capstan.name=b", "python:3.11-slim-bookworm", "true").stdout.strip()
    try:
        ws.remove("b.yaml")
        ws.commit()
        plan = ws.plan()
        assert "-   server.b  delete (no longer in the repository)" in plan.stdout, plan.stdout
        assert "Plan: 0 to build, 0 to create, 0 to replace, 0 to start, 1 to delete." in plan.stdout
        assert ws.apply().returncode == 0
        assert set(ws.containers()) == {ws.name("a")}
        assert sh("docker", "inspect", stranger, check=False).returncode == 0
        assert sh("docker", "inspect", other, check=False).returncode == 0
    finally:
        sh("docker", "rm", "-f", stranger, other, check=False)


def test_removed_or_stopped_container_is_planned_back_with_its_reason(ws):
    ws.write("servers.yaml", server_manifest("a") + "---\n" + server_manifest("b"))
    ws.commit()
    assert ws.apply().returncode == 0
    sh("docker", "rm", "-f", ws.name("a"))
    sh("docker", "stop", "-t", "1", ws.name("b"))
    plan = ws.plan()
    assert "+   server.a  create (container missing)" in plan.stdout, plan.stdout
    assert "~   server.b  start (container stopped)" in plan.stdout
    assert ws.apply().returncode == 0
    assert {s for _, s in ws.containers().values()} == {"running"}


def test_failing_dockerfile_keeps_the_previous_container_and_is_audited(ws):
    p = ws.project
    ws.write_project()
    ws.write("manifests.yaml", project_manifest(p, f"projects/{p}") + "---\n" + server_manifest("app", project=p)
             + "---\n" + server_manifest("other"))
    ws.commit()
    assert ws.apply().returncode == 0
    before = ws.containers()

    ws.write_project(extra_dockerfile="RUN echo about to fail && exit 3\n")
    ws.write("manifests.yaml", project_manifest(p, f"projects/{p}") + "---\n" + server_manifest("app", project=p)
             + "---\n" + server_manifest("other", env={"NEW": "1"}))
    ws.commit()
    r = ws.apply()
    assert r.returncode == 1, r.stdout + r.stderr
    assert f"image.{p}: build FAILED" in r.stdout and "returned a non-zero code: 3" in r.stdout
    # In words, with the step's last output, never as a Swift value.
    assert "the image build failed: " in r.stdout and "    | about to fail" in r.stdout, r.stdout
    assert "buildFailed(" not in r.stdout and "logTail" not in r.stdout, r.stdout
    assert "server.app: replace skipped" in r.stdout
    after = ws.containers()
    assert after[ws.name("app")] == before[ws.name("app")], "the old container keeps serving"
    assert after[ws.name("other")][0] != before[ws.name("other")][0], "independent servers still converge"

    log = json.loads(ws.run("audit", "log", "--state-dir", ws.state, "-o", "json").stdout)
    failed = [e for e in log if e.get("address") == f"image.{p}" and e.get("outcome") == "failed"]
    assert failed and "non-zero code: 3" in failed[-1]["error"]
    runs = [e for e in log if e["type"] == "run"]
    assert runs[-1]["result"] == "partial"


def test_saved_plan_is_refused_once_the_host_changed(ws, tmp_path):
    ws.write("servers.yaml", server_manifest("a"))
    ws.commit()
    saved = tmp_path / "a.plan"
    assert ws.plan("-out", saved).returncode == 0
    sh("docker", "create", "--network", "none", "--name", ws.name("a"), "--label", "capstan.managed=true",
       "--label", f"capstan.instance={ws.instance}", "--label", "capstan.name=a", "python:3.11-slim-bookworm", "true")
    r = ws.run("apply", saved, "--state-dir", ws.state, "--secrets-dir", ws.secrets)
    assert r.returncode == 1 and "stale" in r.stdout + r.stderr, r.stdout + r.stderr

    sh("docker", "rm", "-f", ws.name("a"))
    assert ws.plan("-out", saved).returncode == 0
    r = ws.run("apply", saved, "--state-dir", ws.state, "--secrets-dir", ws.secrets)
    assert r.returncode == 0, r.stdout + r.stderr
    assert ws.containers()[ws.name("a")][1] == "running"


def test_invalid_repository_is_never_applied(ws):
    ws.write("servers.yaml", server_manifest("a"))
    ws.commit()
    assert ws.apply().returncode == 0
    before = ws.containers()
    ws.write("servers.yaml", server_manifest("a") + "---\n" + server_manifest("b", extra="  transprot: stdio"))
    ws.commit()
    r = ws.apply()
    assert r.returncode == 1
    assert 'servers.yaml:' in r.stdout and 'unknown field "transprot"' in r.stdout
    assert ws.containers() == before


def test_plan_json_follows_its_published_schema(ws, tmp_path):
    import jsonschema

    from conftest import REPO
    p = ws.project
    ws.write_project()
    ws.write("m.yaml", project_manifest(p, f"projects/{p}") + "---\n" + server_manifest("app", project=p)
             + "---\n" + server_manifest("a", env={"X": "1"}))
    ws.commit()
    schema = json.loads((REPO / "schemas" / "plan.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    empty = ws.plan_json()
    validator.validate(empty)
    assert [(a["address"], a["kind"]) for a in empty["actions"]] == [(f"image.{p}", "build"), ("server.a", "create"), ("server.app", "create")]
    assert ws.apply().returncode == 0
    ws.write("m.yaml", project_manifest(p, f"projects/{p}") + "---\n" + server_manifest("app", project=p)
             + "---\n" + server_manifest("a", env={"X": "2"}))
    ws.commit()
    changed = ws.plan_json()
    validator.validate(changed)
    replace = next(a for a in changed["actions"] if a["address"] == "server.a")
    assert replace["kind"] == "replace" and replace["changes"] == [{"field": "env X", "before": "1", "after": "2"}]
    assert replace["before"]["containerID"] and replace["after"]["specHash"].startswith("sha256:")
