/// `capstan new project NAME --template python`: a minimal MCP server on the official `mcp` SDK
/// (FastMCP, stdio), its test, a Dockerfile that runs it as a non-root user on a read-only root
/// filesystem, and its Project, Server and Policy manifests. Pure: the same inputs always give
/// the same files.
enum PythonProjectTemplate {
    struct Parameters: Sendable {
        var name: String
        /// Project context, relative to the repository root.
        var context: String
        /// The manifest file, relative to the repository root.
        var manifest: String
        /// The modeline each document of the manifest file starts with, if the repository has
        /// the schemas.
        var modeline: String?
        /// The Clients the Policy grants the server's tools to; none writes no Policy.
        var clients: [String]
    }

    /// Pinned at the version that the example projects pin, so that a base image prepared for
    /// them (scripts/python-base-image.sh) satisfies this one's `pip install` offline too.
    static let mcpRequirement = "mcp==1.30.0"
    static let tool = "greet"

    static func files(_ p: Parameters) -> [ScaffoldFile] {
        [
            ScaffoldFile(path: p.context + "/server.py", contents: serverPy(p)),
            ScaffoldFile(path: p.context + "/test_server.py", contents: testServerPy(p)),
            ScaffoldFile(path: p.context + "/requirements.txt", contents: requirements),
            ScaffoldFile(path: p.context + "/Dockerfile", contents: dockerfile),
            ScaffoldFile(path: p.context + "/.dockerignore", contents: dockerignore),
            ScaffoldFile(path: p.manifest, contents: manifests(p)),
        ]
    }

    private static func serverPy(_ p: Parameters) -> String {
        #"""
        """\#(p.name): an MCP server on the official `mcp` SDK (FastMCP), speaking MCP over stdio.

        Capstan runs it in a container and the gateway attaches to its stdin/stdout, so nothing but
        protocol messages may be printed to stdout; log to stderr (`logging` does by default).

        A tool is a typed function: the type hints become its input schema, the docstring its
        description, and `Field(description=...)` documents each argument for the model.
        """

        import logging
        import os
        from typing import Annotated

        from mcp.server.fastmcp import FastMCP
        from pydantic import Field

        logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO").upper())
        log = logging.getLogger("\#(p.name)")

        mcp = FastMCP("\#(p.name)")


        @mcp.tool()
        def greet(
            name: Annotated[str, Field(description="Who to greet")],
            excited: Annotated[bool, Field(description="End with an exclamation mark")] = False,
        ) -> str:
            """Greet someone by name."""
            return f"Hello, {name}{'!' if excited else '.'}"


        if __name__ == "__main__":
            log.info("\#(p.name) starting on stdio")
            mcp.run()  # stdio transport

        """#
    }

    private static func testServerPy(_ p: Parameters) -> String {
        #"""
        """Tests for the \#(p.name) tools: `python -m pytest` in this directory (needs mcp and pytest)."""

        import sys
        from pathlib import Path

        import anyio
        from mcp import ClientSession, StdioServerParameters
        from mcp.client.stdio import stdio_client

        from server import greet


        def test_greet_greets_by_name():
            assert greet("Ada") == "Hello, Ada."
            assert greet("Ada", excited=True) == "Hello, Ada!"


        def test_server_offers_greet_over_stdio():
            """Runs server.py as the gateway does (a process on stdio) and calls the tool over MCP."""
            server = StdioServerParameters(command=sys.executable, args=[str(Path(__file__).with_name("server.py"))])

            async def session():
                async with stdio_client(server) as (read, write), ClientSession(read, write) as client:
                    await client.initialize()
                    return await client.list_tools(), await client.call_tool("greet", {"name": "Ada", "excited": True})

            tools, result = anyio.run(session)
            assert [tool.name for tool in tools.tools] == ["greet"]
            assert tools.tools[0].inputSchema["properties"]["name"]["description"] == "Who to greet"
            assert not result.isError
            assert result.structuredContent == {"result": "Hello, Ada!"}

        """#
    }

    private static let requirements = """
        # mcp 1.x: FastMCP lives in mcp.server.fastmcp. Tests also need pytest (not in the image).
        \(mcpRequirement)

        """

    private static let dockerfile = """
        FROM python:3.11-slim-bookworm

        # No .pyc writes at run time (the root filesystem is read-only), unbuffered logs, and a HOME
        # inside the writable /tmp tmpfs for any library that wants a cache directory.
        ENV PYTHONDONTWRITEBYTECODE=1 \\
            PYTHONUNBUFFERED=1 \\
            HOME=/tmp

        WORKDIR /app
        COPY requirements.txt .
        RUN pip install --no-cache-dir --disable-pip-version-check -r requirements.txt
        COPY server.py .

        # Not root, and owning nothing in the image, so the code cannot be changed at run time.
        USER 10001:10001
        ENTRYPOINT ["python", "/app/server.py"]

        """

    /// Keeps local test and editor droppings out of the build context, so running the tests
    /// never changes the context hash (and so never rebuilds the image).
    private static let dockerignore = """
        **/__pycache__
        **/*.pyc
        .pytest_cache
        .venv
        test_*.py

        """

    private static func manifests(_ p: Parameters) -> String {
        let modeline = p.modeline.map { $0 + "\n" } ?? ""
        var text = """
            \(modeline)#
            # The \(p.name) MCP server: its source in \(p.context)/ is built into an image, which runs as a
            # container speaking MCP on stdio\(p.clients.isEmpty ? "" : ", and the Policy below grants its tools").
            # To remove it, delete this file and \(p.context)/, commit and apply.
            apiVersion: capstan/v1
            kind: Project
            metadata:
              name: \(p.name)
            spec:
            \(RepositoryTemplate.commented("  context: " + p.context, "rebuilt when a file here changes (see .dockerignore)"))
            ---
            \(modeline)apiVersion: capstan/v1
            kind: Server
            metadata:
              name: \(p.name)
            spec:
            \(RepositoryTemplate.commented("  project: " + p.name, "the image built from the Project above"))
              transport: stdio              # the gateway talks to the container's stdin/stdout
              resources: {cpus: 0.5, memory: 128Mi, pids: 64}
              # env: {LOG_LEVEL: debug}
              # tools: [\(tool)]              # the tools it must offer; policies may then name them

            """
        if !p.clients.isEmpty {
            text += """
                ---
                \(modeline)apiVersion: capstan/v1
                kind: Policy
                metadata:
                  name: \(p.name)
                spec:
                  clients: [\(p.clients.joined(separator: ", "))]
                  rules:
                    - server: \(p.name)
                      tools: ["*"]              # every tool of \(p.name); list names to grant fewer
                      effect: allow

                """
        }
        return text
    }
}
