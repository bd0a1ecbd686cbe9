#!/usr/bin/env python3
"""Calls a tool through the Capstan gateway with the official Python MCP SDK, as any client would.

    mcp_gateway_call.py URL TOOL [JSON-ARGUMENTS]     the token comes from $CAPSTAN_TOKEN

Prints the tools the token may use and the tool's answer; exits non-zero if anything fails.
"""
import asyncio
import json
import os
import sys

from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client


async def call(url: str, tool: str, arguments: dict) -> None:
    headers = {"Authorization": f"Bearer {os.environ['CAPSTAN_TOKEN']}"}
    async with streamablehttp_client(url, headers=headers) as (read, write, _):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            print(f"initialize: {init.serverInfo.name} (protocol {init.protocolVersion})")
            tools = await session.list_tools()
            print("tools/list: " + ", ".join(t.name for t in tools.tools))
            result = await session.call_tool(tool, arguments)
            text = " ".join(c.text for c in result.content if getattr(c, "text", None))
            print(f"tools/call {tool}: {text}")
            if result.isError:
                sys.exit(1)


if __name__ == "__main__":
    if len(sys.argv) < 3 or "CAPSTAN_TOKEN" not in os.environ:
        sys.exit(__doc__)
    args = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
    asyncio.run(asyncio.wait_for(call(sys.argv[1], sys.argv[2], args), timeout=60))
