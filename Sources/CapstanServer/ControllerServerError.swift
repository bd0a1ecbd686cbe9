/// Why the controller's HTTP server cannot be set up. Cases carry context, never a secret.
public enum ControllerServerError: Error, Sendable, Equatable {
    /// Binding `host` would expose the API beyond this machine and `allowRemote` is not set.
    case remoteBindNotAllowed(host: String)
    case invalidPort(Int)
    case emptyWebhookSecret
    case emptyAdminToken
    case emptyBranch
}

extension ControllerServerError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .remoteBindNotAllowed(let host):
            return "\(host) is not a loopback address; pass --allow-remote to listen on it (and put TLS in front)"
        case .invalidPort(let port): return "port \(port) is not between 0 and 65535"
        case .emptyWebhookSecret: return "the webhook secret is empty"
        case .emptyAdminToken: return "the admin token is empty"
        case .emptyBranch: return "the branch name is empty"
        }
    }
}
