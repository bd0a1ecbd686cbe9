/// Why a client configuration could not be rendered or merged. Wording for people is the CLI's.
public enum ClientConfigError: Error, Sendable, Equatable {
    /// The existing file is not valid JSON (or JSON with comments, for VS Code).
    case syntax(line: Int, column: Int, message: String)
    /// A member that must hold an object or array holds something else (`mcpServers` is a list…).
    case unexpectedShape(path: String, expected: String)
    /// The app keeps no configuration file Capstan can write (`generic`).
    case noConfigFile(app: ClientApp)
    case unsupportedScope(app: ClientApp, scope: ClientConfigScope)
    /// Claude Desktop starts only local processes, without the user's shell environment: the
    /// bridge needs the token in a file.
    case needsTokenFile(app: ClientApp)
    /// Neither a token file nor an environment variable was given, and the app cannot prompt.
    case needsToken(app: ClientApp)
    /// A project file (`.mcp.json`, `.cursor/mcp.json`, …) is usually committed: never a token in it.
    case tokenInProjectFile(app: ClientApp)
    /// Codex's `config.toml` defines the server in a form Capstan does not edit (inline table,
    /// dotted keys).
    case unmanagedTOMLForm(name: String, line: Int)
    /// The app has no command that adds a server this way.
    case noCommandForm(app: ClientApp)
}

/// Where an app's configuration lives: for the user everywhere, or for one project.
public enum ClientConfigScope: String, Sendable, CaseIterable {
    case user
    case project
}
