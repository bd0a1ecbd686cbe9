/// What one client adds to its app's configuration, and the snippet `capstan client config` prints.
public enum ClientSnippet {
    /// The file form of each app.
    enum Shape {
        /// `{containerKey: {name: entry}}`, plus VS Code's `inputs` element when it prompts.
        case json(containerKey: String, allowComments: Bool, entry: ConfigJSON, input: ConfigJSON?)
        /// Codex: the `[mcp_servers.NAME]` table, as text.
        case toml(block: String)
        /// No file: the URL and the header.
        case text(String)
    }

    /// JSON with comments is VS Code's format; the others are strict JSON.
    static func jsonFormat(_ app: ClientApp) -> (containerKey: String, allowComments: Bool)? {
        switch app {
        case .claudeDesktop, .claudeCode, .cursor: return ("mcpServers", false)
        case .vscode: return ("servers", true)
        case .codex, .generic: return nil
        }
    }

    static func shape(_ c: ClientConnection) throws(ClientConfigError) -> Shape {
        let credential = try c.credential()
        let header = ConfigJSON.object([ConfigJSONMember("Authorization", .string(c.authorization(credential)))])
        switch c.app {
        case .claudeDesktop:
            guard case .tokenFile(let path) = credential else { throw .needsTokenFile(app: c.app) }
            let args = ["bridge", "--url", c.url, "--token-file", path].map(ConfigJSON.string)
            return .json(containerKey: "mcpServers", allowComments: false, entry: .object([
                ConfigJSONMember("command", .string(c.capstanCommand)),
                ConfigJSONMember("args", .array(args)),
            ]), input: nil)
        case .claudeCode:
            return .json(containerKey: "mcpServers", allowComments: false, entry: .object([
                ConfigJSONMember("type", .string("http")),
                ConfigJSONMember("url", .string(c.url)),
                ConfigJSONMember("headers", header),
            ]), input: nil)
        case .cursor:
            return .json(containerKey: "mcpServers", allowComments: false, entry: .object([
                ConfigJSONMember("url", .string(c.url)),
                ConfigJSONMember("headers", header),
            ]), input: nil)
        case .vscode:
            var input: ConfigJSON?
            if case .prompt(let id) = credential {
                input = .object([
                    ConfigJSONMember("type", .string("promptString")),
                    ConfigJSONMember("id", .string(id)),
                    ConfigJSONMember("description", .string("Capstan gateway token of client \(c.name)")),
                    ConfigJSONMember("password", .bool(true)),
                ])
            }
            return .json(containerKey: "servers", allowComments: true, entry: .object([
                ConfigJSONMember("type", .string("http")),
                ConfigJSONMember("url", .string(c.url)),
                ConfigJSONMember("headers", header),
            ]), input: input)
        case .codex:
            var block = "[mcp_servers.\(c.name)]\nurl = \(ConfigJSON.quoted(c.url))\n"
            switch credential {
            case .environment(let variable): block += "bearer_token_env_var = \(ConfigJSON.quoted(variable))\n"
            default: block += "http_headers = { \"Authorization\" = \(ConfigJSON.quoted(c.authorization(credential))) }\n"
            }
            return .toml(block: block)
        case .generic:
            return .text("URL: \(c.url)\nHeader: Authorization: \(c.authorization(credential))\n")
        }
    }

    /// The snippet for the app's configuration file, complete as the file would hold it alone.
    public static func file(_ c: ClientConnection) throws(ClientConfigError) -> String {
        switch try shape(c) {
        case .json(let key, _, let entry, let input):
            var members = [ConfigJSONMember(key, .object([ConfigJSONMember(c.name, entry)]))]
            if let input { members.append(ConfigJSONMember("inputs", .array([input]))) }
            return ConfigJSON.object(members).rendered() + "\n"
        case .toml(let block): return block
        case .text(let text): return text
        }
    }

    /// The app's own command that adds the server (Claude Code, and Codex with an environment
    /// variable: its command line cannot set a static header).
    public static func command(_ c: ClientConnection) throws(ClientConfigError) -> String {
        let credential = try c.credential()
        switch (c.app, credential) {
        case (.claudeCode, .environment):
            // Single quotes: Claude Code stores `${VAR}` and expands it when it connects.
            return "claude mcp add --transport http \(shellQuoted(c.name)) \(shellQuoted(c.url)) --header \(shellQuoted("Authorization: " + c.authorization(credential)))\n"
        case (.claudeCode, .embedded):
            // The shell reads the token file, so the token stays out of the shell's history.
            let path = c.token.file?.path ?? ""
            return "claude mcp add --transport http \(shellQuoted(c.name)) \(shellQuoted(c.url)) --header \"Authorization: Bearer $(cat \(shellQuoted(path)))\"\n"
        case (.codex, .environment(let variable)):
            return "codex mcp add \(shellQuoted(c.name)) --url \(shellQuoted(c.url)) --bearer-token-env-var \(shellQuoted(variable))\n"
        default:
            throw .noCommandForm(app: c.app)
        }
    }

    /// A word for a POSIX shell: unquoted when that is safe, else in single quotes.
    public static func shellQuoted(_ s: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,".utf8)
        if !s.isEmpty && s.utf8.allSatisfy(safe.contains) { return s }
        return "'" + s.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }
}
