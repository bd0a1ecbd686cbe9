import CapstanCore
/// Where the controller's HTTP API listens and what it authenticates with.
public struct ControllerServerConfiguration: Sendable {
    public static let defaultHost = "127.0.0.1"
    public static let defaultPort = 7070
    public static let defaultMaxWebhookBodySize = 1 << 20

    /// Bind host; a non-loopback host is refused unless `allowRemote` is set.
    public var host: String
    /// Bind port; 0 asks the system for a free one (see `makeApplication(onServerRunning:)`).
    public var port: Int
    public var allowRemote: Bool
    /// The followed branch (`main` or `refs/heads/main`): pushes to other refs are ignored.
    public var branch: String
    /// Without a secret, `POST /api/v1/webhook` answers 404: unsigned deliveries are never taken.
    public var webhookSecret: WebhookSecret?
    /// Without a token, `POST /api/v1/sync` answers 404.
    public var adminToken: AdminToken?
    /// Larger webhook bodies are refused with 413 (GitHub caps its payloads at 25 MB; pushes
    /// are far smaller).
    public var maxWebhookBodySize: Int

    public init(
        branch: String,
        host: String = Self.defaultHost,
        port: Int = Self.defaultPort,
        allowRemote: Bool = false,
        webhookSecret: WebhookSecret? = nil,
        adminToken: AdminToken? = nil,
        maxWebhookBodySize: Int = Self.defaultMaxWebhookBodySize
    ) {
        self.branch = branch
        self.host = host
        self.port = port
        self.allowRemote = allowRemote
        self.webhookSecret = webhookSecret
        self.adminToken = adminToken
        self.maxWebhookBodySize = maxWebhookBodySize
    }

    /// The host as the socket layer takes it: `[::1]` is written for URLs, bound as `::1`.
    var bindHost: String {
        host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
    }

    func validate() throws(ControllerServerError) {
        guard allowRemote || LoopbackAddress.isLoopback(host) else { throw .remoteBindNotAllowed(host: host) }
        guard (0...65535).contains(port) else { throw .invalidPort(port) }
        guard !branch.isEmpty, branch != "refs/heads/" else { throw .emptyBranch }
    }
}
