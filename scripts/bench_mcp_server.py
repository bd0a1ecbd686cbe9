"""A minimal, fast MCP server over stdio for the gateway benchmark (docs/benchmarks.md).

No SDK: one JSON-RPC message per line on stdin, one answer per line on stdout, flushed at
once. It answers initialize, ping, tools/list (one tool, `echo`) and tools/call (the
arguments back as text); notifications get no answer. Run it as `python3 -u bench_mcp_server.py`.
"""
import json
import sys

TOOLS = {"tools": [{
    "name": "echo",
    "description": "Returns its arguments.",
    "inputSchema": {"type": "object", "additionalProperties": True},
}]}
SUPPORTED = ("2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05")


def answer(message):
    method = message.get("method")
    if "id" not in message or method is None:
        return None  # a notification, or an answer to a request we never send
    if method == "tools/call":
        arguments = (message.get("params") or {}).get("arguments") or {}
        result = {"content": [{"type": "text", "text": json.dumps(arguments, separators=(",", ":"))}],
                  "isError": False}
    elif method == "tools/list":
        result = TOOLS
    elif method == "initialize":
        asked = (message.get("params") or {}).get("protocolVersion")
        result = {"protocolVersion": asked if asked in SUPPORTED else SUPPORTED[0],
                  "capabilities": {"tools": {}},
                  "serverInfo": {"name": "bench-echo", "version": "1"}}
    elif method == "ping":
        result = {}
    else:
        return {"jsonrpc": "2.0", "id": message["id"],
                "error": {"code": -32601, "message": "method not found: %s" % method}}
    return {"jsonrpc": "2.0", "id": message["id"], "result": result}


def main():
    read, out = sys.stdin.buffer.readline, sys.stdout.buffer
    while True:
        line = read()
        if not line:
            return
        if not line.strip():
            continue
        try:
            reply = answer(json.loads(line))
        except ValueError:
            reply = {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}}
        if reply is not None:
            out.write(json.dumps(reply, separators=(",", ":")).encode() + b"\n")
            out.flush()


if __name__ == "__main__":
    main()
