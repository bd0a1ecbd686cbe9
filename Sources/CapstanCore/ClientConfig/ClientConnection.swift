/// How a client's app reaches the gateway, in the terms of that app's own configuration.
///
/// Formats, from each app's documentation:
/// - Claude Desktop, `claude_desktop_config.json`: `{"mcpServers": {NAME: {"command", "args", "env"}}}`;
///   its config file starts local stdio servers only (entries with `url`/`headers` are skipped as
///   "not valid MCP server configurations", anthropics/claude-ai-mcp#120), so the entry runs
///   `capstan bridge`, which reads the token from a file: the app starts servers without the
///   user's shell environment.
/// - Claude Code (code.claude.com/docs/en/mcp): `claude mcp add --transport http NAME URL --header
///   "Authorization: Bearer …"`; `.mcp.json` (project) and `~/.claude.json` (user) hold
///   `{"mcpServers": {NAME: {"type": "http", "url", "headers"}}}`; `${VAR}` and `${VAR:-default}`
///   are expanded in `command`, `args`, `env`, `url` and `headers`.
/// - Cursor (cursor.com/docs/mcp): `~/.cursor/mcp.json` or `.cursor/mcp.json`,
///   `{"mcpServers": {NAME: {"url", "headers"}}}`; `${env:NAME}` is interpolated in `command`,
///   `args`, `env`, `url` and `headers`.
/// - VS Code (code.visualstudio.com/docs/copilot/reference/mcp-configuration): `.vscode/mcp.json`
///   or the profile's `mcp.json`, `{"servers": {NAME: {"type": "http", "url", "headers"}},
///   "inputs": [{"type": "promptString", "id", "description", "password": true}]}`; headers may use
///   `${input:ID}` (asked once, kept in VS Code's secret storage) or `${env:NAME}`.
/// - Codex (developers.openai.com/codex/mcp): `~/.codex/config.toml`, `[mcp_servers.NAME]` with
///   `url` and `bearer_token_env_var` (Codex rejects an inline `bearer_token`), or `http_headers`
///   for a static header; `codex mcp add NAME --url URL --bearer-token-env-var VAR`.
public struct ClientConnection: Sendable, Equatable {
    public var name: String
    public var app: ClientApp
    /// The gateway's MCP endpoint.
    public var url: String
    public var token: ClientTokenSource
    /// The capstan executable an app that starts local processes runs as the bridge.
    public var capstanCommand: String

    public init(name: String, app: ClientApp, url: String, token: ClientTokenSource, capstanCommand: String) {
        self.name = name
        self.app = app
        self.url = url
        self.token = token
        self.capstanCommand = capstanCommand
    }
}

/// Where the client's token comes from. Both may be given: apps that take an environment
/// reference get the reference, Claude Desktop's bridge gets the file.
public struct ClientTokenSource: Sendable, Equatable {
    /// An environment variable the app reads the token from when it starts.
    public var environment: String?
    /// A token file (absolute path) and the token it holds.
    public var file: (path: String, token: String)?

    public init(environment: String? = nil, file: (path: String, token: String)? = nil) {
        self.environment = environment
        self.file = file
    }

    public static func == (a: ClientTokenSource, b: ClientTokenSource) -> Bool {
        a.environment == b.environment && a.file?.path == b.file?.path && a.file?.token == b.file?.token
    }
}

/// How the token appears in the app's configuration.
public enum ClientCredential: Sendable, Equatable {
    /// A reference the app expands from its environment (`${VAR}`, `${env:VAR}`, `bearer_token_env_var`).
    case environment(String)
    /// The token itself: only for apps and files where no reference works; the file is then 0600.
    case embedded(String)
    /// VS Code asks for it once and keeps it in its secret storage (`${input:ID}`).
    case prompt(id: String)
    /// The bridge reads it from this file.
    case tokenFile(String)

    public var embedsToken: Bool {
        if case .embedded = self { return true }
        return false
    }
}

extension ClientConnection {
    /// The credential this app gets, or why none fits. An environment reference is preferred
    /// wherever the app expands one.
    public func credential() throws(ClientConfigError) -> ClientCredential {
        switch app {
        case .claudeDesktop:
            guard let file = token.file else { throw .needsTokenFile(app: app) }
            return .tokenFile(file.path)
        case .claudeCode, .cursor, .codex, .generic, .vscode:
            if let env = token.environment { return .environment(env) }
            if let file = token.file { return .embedded(file.token) }
            if app == .vscode { return .prompt(id: vscodeInputID) }
            throw .needsToken(app: app)
        }
    }

    /// The id of the VS Code input that asks for this client's token.
    public var vscodeInputID: String { "capstan-\(name)-token" }

    /// The `Authorization` header value in the app's own reference syntax.
    func authorization(_ credential: ClientCredential) -> String {
        switch credential {
        case .embedded(let token): return "Bearer " + token
        case .prompt(let id): return "Bearer ${input:\(id)}"
        case .tokenFile: return ""
        case .environment(let variable):
            switch app {
            case .claudeCode: return "Bearer ${\(variable)}"
            case .cursor, .vscode: return "Bearer ${env:\(variable)}"
            case .generic, .codex, .claudeDesktop: return "Bearer $" + variable
            }
        }
    }
}
