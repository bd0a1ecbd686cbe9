/// Where each app keeps its MCP configuration, per scope and platform.
public enum ClientConfigLocation {
    public enum Platform: Sendable {
        case linux
        case macOS

        public static var current: Platform {
            #if os(macOS)
            .macOS
            #else
            .linux
            #endif
        }
    }

    /// The configuration file's path. `environment` supplies the variables the apps themselves
    /// honour (`XDG_CONFIG_HOME` for the Electron apps on Linux, `CLAUDE_CONFIG_DIR`, `CODEX_HOME`).
    public static func path(app: ClientApp, scope: ClientConfigScope, home: String, projectDirectory: String,
                            environment: [String: String] = [:], platform: Platform = .current) throws(ClientConfigError) -> String {
        let project = projectDirectory.hasSuffix("/") && projectDirectory.count > 1 ? String(projectDirectory.dropLast()) : projectDirectory
        let configHome = nonEmpty(environment["XDG_CONFIG_HOME"]) ?? home + "/.config"
        let appSupport = home + "/Library/Application Support"
        switch (app, scope) {
        case (.claudeDesktop, .user):
            return (platform == .macOS ? appSupport : configHome) + "/Claude/claude_desktop_config.json"
        case (.claudeCode, .user):
            return (nonEmpty(environment["CLAUDE_CONFIG_DIR"]) ?? home) + "/.claude.json"
        case (.claudeCode, .project):
            return project + "/.mcp.json"
        case (.cursor, .user):
            return home + "/.cursor/mcp.json"
        case (.cursor, .project):
            return project + "/.cursor/mcp.json"
        case (.vscode, .user):
            return (platform == .macOS ? appSupport : configHome) + "/Code/User/mcp.json"
        case (.vscode, .project):
            return project + "/.vscode/mcp.json"
        case (.codex, .user):
            return (nonEmpty(environment["CODEX_HOME"]) ?? home + "/.codex") + "/config.toml"
        case (.codex, .project):
            return project + "/.codex/config.toml"
        case (.claudeDesktop, .project):
            throw .unsupportedScope(app: app, scope: scope)
        case (.generic, _):
            throw .noConfigFile(app: app)
        }
    }

    private static func nonEmpty(_ s: String?) -> String? {
        guard let s, !s.isEmpty else { return nil }
        return s
    }
}
