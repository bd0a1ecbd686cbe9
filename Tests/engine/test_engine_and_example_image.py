"""The test engine from scripts/docker-engine.sh, and the quickstart's MCP server built on it.

These run against the real Docker engine that `make test` starts; they never skip. Containers
run with network "none": the MCP exchange goes over the container's stdin/stdout.
"""
import asyncio
import os
import pathlib
import subprocess

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

REPO = pathlib.Path(__file__).resolve().parents[2]
QUICKSTART_PROJECT = REPO / "examples" / "quickstart" / "projects" / "textkit"
IMAGE = "capstan-test/quickstart-textkit:latest"


def sh(*args, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=kw.pop("timeout", 300), **kw)


def test_engine_script_is_idempotent_and_reports_the_same_socket():
    assert os.environ.get("DOCKER_HOST", "").startswith("unix://"), "make test exports DOCKER_HOST from the script"
    first = sh(str(REPO / "scripts" / "docker-engine.sh"))
    second = sh(str(REPO / "scripts" / "docker-engine.sh"))
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert first.stdout.strip().splitlines()[-1] == second.stdout.strip().splitlines()[-1]
    assert first.stdout.strip().splitlines()[-1] == f"export DOCKER_HOST={os.environ['DOCKER_HOST']}"
    assert sh("pgrep", "-c", "-x", "dockerd").stdout.strip() == "1"


def test_engine_offers_no_bridge_network():
    networks = sh("docker", "network", "ls", "--format", "{{.Name}}").stdout.split()
    assert "bridge" not in networks and "none" in networks
    api = sh("docker", "version", "--format", "{{.Server.APIVersion}}").stdout.strip()
    major, minor = map(int, api.split("."))
    assert (major, minor) >= (1, 41)


def build_quickstart_image() -> None:
    base = sh(str(REPO / "scripts" / "python-base-image.sh"), timeout=900)
    assert base.returncode == 0, base.stderr[-2000:]
    built = sh("docker", "build", "--network", "none", "-q", "-t", IMAGE, str(QUICKSTART_PROJECT), timeout=600)
    assert built.returncode == 0, built.stdout + built.stderr


async def talk_mcp(command: list[str]) -> tuple[str, list[str], str]:
    # The SDK passes a minimal environment by default; docker needs DOCKER_HOST.
    params = StdioServerParameters(command=command[0], args=command[1:], env=dict(os.environ))
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            tools = await session.list_tools()
            call = await session.call_tool("slugify", {"text": "Hello, MCP World!"})
            text = "".join(getattr(c, "text", "") for c in call.content)
            return init.serverInfo.name, sorted(t.name for t in tools.tools), text


def test_quickstart_server_answers_mcp_in_a_hardened_container():
    build_quickstart_image()
    # The same hardening capstan applies: no network, read-only root, no capabilities.
    command = [
        "docker", "run", "--rm", "-i", "--network", "none", "--read-only", "--tmpfs", "/tmp",
        "--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--pids-limit", "64", "--memory", "128m",
        IMAGE,
    ]
    name, tools, slug = asyncio.run(asyncio.wait_for(talk_mcp(command), timeout=120))
    assert name
    assert tools == ["days_between", "slugify", "word_count"]
    assert "hello-mcp-world" in slug
