"""Drives the mcp 2.3.0 SDK `Client` for the gateway tests; runs in .venv-mcp2 (mcp 2.x cannot
be imported next to the mcp 1.30 of .venv).

stdin: {"url", "token", "mode": "2026-07-28" | "auto" | "legacy", "ops": [...]}; stdout: one
JSON line per op (the `listen` op prints several, flushed as they happen). An op that fails
prints {"error": {"type", "code", "message"}} and the next op still runs.

ops:
  {"op": "info"}                              -> {"protocol", "server"}
  {"op": "list"}                              -> {"tools": [names]}
  {"op": "call", "name", "args", "progress"}  -> {"isError", "text", "structured", "progress": [[p, total, msg]...]}
  {"op": "listen", "events": n, "wait": s}    -> {"acked": {...}} then per event {"event", "tools"}
"""
import json
import sys

import anyio
import httpx2
from mcp import Client, MCPError
from mcp.client.streamable_http import streamable_http_client


def emit(obj) -> None:
    print(json.dumps(obj), flush=True)


def failure(error: BaseException) -> dict:
    while isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
        error = error.exceptions[0]
    return {"error": {"type": type(error).__name__, "code": getattr(error, "code", None), "message": str(error)}}


async def run_op(client: Client, op: dict) -> None:
    kind = op["op"]
    if kind == "info":
        info = client.server_info
        emit({"protocol": client.protocol_version, "server": info.name if info else None})
    elif kind == "list":
        page = await client.list_tools()
        names = [t.name for t in page.tools]
        while page.next_cursor is not None:
            page = await client.list_tools(cursor=page.next_cursor)
            names += [t.name for t in page.tools]
        emit({"tools": names})
    elif kind == "call":
        progress = []

        async def on_progress(value, total, message):
            progress.append([value, total, message])

        res = await client.call_tool(op["name"], op.get("args", {}),
                                     progress_callback=on_progress if op.get("progress") else None)
        text = "".join(getattr(c, "text", "") for c in res.content)
        emit({"isError": bool(res.is_error), "text": text, "structured": res.structured_content, "progress": progress})
    elif kind == "listen":
        async with client.listen(tools_list_changed=True) as sub:
            emit({"acked": sub.honored.model_dump(by_alias=True, exclude_none=True) if sub.honored else None})
            with anyio.fail_after(op.get("wait", 60)):
                seen = 0
                async for event in sub:
                    page = await client.list_tools()
                    emit({"event": type(event).__name__, "tools": [t.name for t in page.tools]})
                    seen += 1
                    if seen >= op.get("events", 1):
                        break
    else:
        raise SystemExit(f"unknown op {kind}")


async def main() -> None:
    program = json.load(sys.stdin)
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {program['token']}"}, timeout=30) as http:
        transport = streamable_http_client(program["url"], http_client=http)
        try:
            async with Client(transport, mode=program.get("mode", "2026-07-28"), cache=None) as client:
                for op in program["ops"]:
                    try:
                        await run_op(client, op)
                    except (MCPError, TimeoutError, Exception) as error:  # reported, then the next op
                        emit(failure(error))
        except BaseException as error:  # connecting failed: every op fails the same way
            if isinstance(error, (KeyboardInterrupt, SystemExit)):
                raise
            for _ in program["ops"]:
                emit(failure(error))


if __name__ == "__main__":
    anyio.run(main)
