print('weather MCP server')
