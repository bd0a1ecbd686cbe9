/// Why the controller's HTTP server cannot be set up. Cases carry context, never a secret.
public enum ControllerServerError: Error, Sendable, Equatable {
    /// Binding `host` would expose the API beyond this machine and `allowRemote` is not set.
    case remoteBindNotAllowed(host: String)
    case invalidPort(Int)
    case emptyWebhookSecret
    case emptyAdminToken
    case emptyBranch
}
