"""From an empty directory to a tool call with `capstan init` and `capstan new project`: the plan
made right after shows exactly the new project's build and create (and its route), apply runs it
on the real engine, the client that init created calls the new tool through the gateway with the
token init wrote, and the project's own tests pass on the host."""
import json
import time

from conftest import REPO, Workspace, sh
from gateway_support import GatewayProcess, run, sdk_session, text_of, tool_names

VENV_PYTHON = REPO / ".venv" / "bin" / "python"


def test_init_and_new_project_plan_apply_and_answer_a_tool_call(tmp_path, capstan_bin):
    started = time.monotonic()
    ws = Workspace(tmp_path, capstan_bin)  # its instance, state and secrets; its repo goes unused
    repo = tmp_path / ws.instance  # init names the instance after the directory
    project = ws.project  # per-test, so that cleanup removes exactly this test's image
    token_file = tmp_path / "alice.token"
    gateway = GatewayProcess(capstan_bin, ws.state, tmp_path / "gateway.log")
    source = ["--repo", repo, "--ref", "HEAD", "--state-dir", ws.state, "--secrets-dir", ws.secrets]
    try:
        r = ws.run("init", repo, "--client", "alice", "--app", "claude-code", "--token-file", token_file, check=True)
        assert f'instance "{ws.instance}"' in r.stdout, r.stdout
        ws.run("new", "project", project, "--template", "python", "--dir", repo, check=True)
        sh("git", "-C", repo, "add", "-A")
        sh("git", "-C", repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid",
           "commit", "-q", "-m", f"Add {project}")  # through the pre-commit hook init installed
        gateway.start()

        text = ws.run("plan", *source, check=True).stdout
        assert "Plan: 1 to build, 1 to create, 0 to replace, 0 to start, 0 to delete." in text, text
        plan = json.loads(ws.run("plan", *source, "-o", "json", check=True).stdout)
        changes = sorted((a["address"], a["kind"]) for a in plan["actions"] if a["kind"] != "noop")
        assert changes == [(f"image.{project}", "build"), (f"server.{project}", "create")], plan["actions"]
        routes = {c["address"]: c for c in plan["routes"]["changes"]}
        assert "route.alice" in routes and set(routes) <= {"route.alice", f"backend.{project}"}, routes

        applied = ws.run("apply", *source, "--auto-approve")
        assert applied.returncode == 0, applied.stdout + applied.stderr
        assert ws.containers()[ws.name(project)][1] == "running"

        token = token_file.read_text().strip()

        async def call():
            async with sdk_session(gateway.url, token) as (session, _):
                tools = tool_names(await session.list_tools())
                return tools, await session.call_tool(f"{project}__greet", {"name": "Ada", "excited": True})

        tools, answer = run(call())
        assert tools == {f"{project}__greet"}
        assert not answer.isError and text_of(answer) == "Hello, Ada!", answer
        print(f"capstan init to the first tool call: {time.monotonic() - started:.1f}s wall time")
        assert ws.run("plan", *source, "--detailed-exitcode").returncode == 0, "converged"

        tests = sh(VENV_PYTHON, "-m", "pytest", "-q", cwd=repo / "projects" / project, check=False)
        assert tests.returncode == 0, tests.stdout + tests.stderr
        # The tests left __pycache__ and .pytest_cache in the working tree; .dockerignore keeps
        # them out of the build context, so planning the directory still finds nothing to do.
        local = ws.run("plan", repo, "--state-dir", ws.state, "--secrets-dir", ws.secrets, "--detailed-exitcode")
        assert local.returncode == 0, local.stdout + local.stderr
    finally:
        gateway.stop()
        ws.cleanup()
