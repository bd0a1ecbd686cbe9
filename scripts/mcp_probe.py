#!/usr/bin/env python3
"""Speaks MCP to a server over stdio with the official Python SDK and prints what it offers.

    mcp_probe.py COMMAND [ARGS...]      e.g. mcp_probe.py docker attach quickstart-textkit

Exits non-zero unless `initialize` and `tools/list` both succeed.
"""
import asyncio
import os
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


async def probe(command: list[str]) -> None:
    # The SDK passes a minimal environment by default; docker needs DOCKER_HOST.
    params = StdioServerParameters(command=command[0], args=command[1:], env=dict(os.environ))
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            tools = await session.list_tools()
            print(f"initialize: {init.serverInfo.name} {init.serverInfo.version} (protocol {init.protocolVersion})")
            print("tools/list: " + ", ".join(sorted(t.name for t in tools.tools)))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    asyncio.run(asyncio.wait_for(probe(sys.argv[1:]), timeout=60))
