/// Where a manifest was written: its file (relative to the repository root) and document start.
public struct SourceLocation: Sendable, Hashable {
    public var file: String
    public var mark: Mark
}

/// A name and its text value, in the order the file gives them (env, build args, labels).
public struct TextEntry: Sendable, Hashable {
    public var key: Located<String>
    public var value: Located<String>
}

extension Array where Element == TextEntry {
    /// The entries as a plain dictionary (keys are unique: the YAML loader rejects duplicates).
    public var dictionary: [String: String] {
        Dictionary(map { ($0.key.value, $0.value.value) }, uniquingKeysWith: { _, last in last })
    }
}

public enum ManifestKind: String, Sendable, CaseIterable {
    case project = "Project"
    case server = "Server"
    case client = "Client"
    case policy = "Policy"
}

public struct Metadata: Sendable {
    public var name: Located<String>
    public var labels: [TextEntry]
    public var annotations: [TextEntry]
    public var location: SourceLocation
}

public struct Project: Sendable {
    public var metadata: Metadata
    /// Repository-relative, normalised (`projects/weather`).
    public var context: Located<String>
    /// Relative to the context, normalised.
    public var dockerfile: Located<String>
    public var buildArgs: [TextEntry]
    public var target: String?
}

public enum Transport: String, Sendable {
    case stdio
    case http
}

public struct SecretRef: Sendable, Hashable {
    public var env: Located<String>
    public var secret: Located<String>
}

public struct Resources: Sendable, Hashable {
    public var cpus: Double?
    /// Bytes.
    public var memory: Int?
    public var pids: Int?
}

/// What a server relaxes from the hardened defaults (read-only root, no-new-privileges, no caps).
public struct Hardening: Sendable, Hashable {
    public var readOnlyRootFilesystem = true
    public var noNewPrivileges = true
    public var capAdd: [String] = []
    public var user: String?
}

public enum ServerSource: Sendable {
    case project(Located<String>)
    case image(Located<String>)
}

public struct Server: Sendable {
    public var metadata: Metadata
    public var source: ServerSource
    public var transport: Transport
    public var port: Int?
    public var path: String?
    public var command: [String]
    public var env: [TextEntry]
    public var secrets: [SecretRef]
    public var resources: Resources
    public var network: String
    public var tools: [Located<String>]?
    public var hardening: Hardening
    /// How long the gateway waits for one call to this server.
    public var timeoutMilliseconds: Int
}

public enum ClientApp: String, Sendable, CaseIterable {
    case claudeDesktop = "claude-desktop"
    case claudeCode = "claude-code"
    case cursor
    case vscode
    case codex
    case generic
}

public struct Client: Sendable {
    public var metadata: Metadata
    public var app: ClientApp
    /// `sha256:<64 hex>`: git holds the token's hash, never the token.
    public var tokenHash: String
}

public enum Effect: String, Sendable {
    case allow
    case deny
}

public struct PolicyRule: Sendable {
    /// A Server name, or `*`.
    public var server: Located<String>
    /// Tool, prompt and resource patterns (`*` any run, `?` one character). A rule grants or
    /// denies only the kinds it lists: prompts and resources stay hidden unless a rule names them.
    public var tools: [Located<String>]
    public var prompts: [Located<String>]
    public var resources: [Located<String>]
    public var effect: Effect
}

public struct Policy: Sendable {
    public var metadata: Metadata
    public var clients: [Located<String>]
    public var matchLabels: [TextEntry]?
    public var rules: [PolicyRule]
}

/// `capstan.yaml` at the repository root.
public struct RepositoryConfig: Sendable {
    public var root: String = ""
    /// Where `root:` was written, for errors about the directory it names.
    var rootMark: Mark?
    public var instance: String = "capstan"
    public var exclude: [String] = []
    /// The most a Project's build context may hold after `.dockerignore`: contexts are read
    /// into memory to be hashed and sent, so a stray multi-GiB file must not take the host down.
    public var maxContextSize = RepositoryConfig.defaultMaxContextSize

    public static let defaultMaxContextSize = 512 << 20

    public init() {}
}

/// Every manifest of a repository that decoded cleanly, in file order.
public struct ManifestSet: Sendable {
    public var config = RepositoryConfig()
    public var projects: [Project] = []
    public var servers: [Server] = []
    public var clients: [Client] = []
    public var policies: [Policy] = []

    public init() {}

    public var count: Int { projects.count + servers.count + clients.count + policies.count }
}
