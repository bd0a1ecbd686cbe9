claude mcp add --transport http alice http://127.0.0.1:8750/mcp --header 'Authorization: Bearer ${CAPSTAN_TOKEN}'
