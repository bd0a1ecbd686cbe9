codex mcp add alice --url http://127.0.0.1:8750/mcp --bearer-token-env-var CAPSTAN_TOKEN
