/// Every way a Docker Engine request can fail. `endpoint` is the method and path
/// (`POST /v1.41/containers/create`) without the query string: build arguments travel in the
/// query and may hold secrets, so they never reach an error.
public enum DockerError: Error, Sendable, Equatable {
    /// The host string is malformed or points somewhere this client must not talk to.
    case invalidHost(host: String, reason: String)
    /// libcurl could not complete the exchange (socket missing, connection reset, …).
    case transport(endpoint: String, reason: String)
    /// HTTP 404: no such container, image or network.
    case notFound(endpoint: String, message: String)
    /// HTTP 409: a name in use, a container not running, an image in use.
    case conflict(endpoint: String, message: String)
    /// Any other non-success status, with the engine's `message`.
    case engine(status: Int, endpoint: String, message: String)
    /// The engine speaks an API older than this client needs.
    case unsupportedVersion(engine: String, minimum: String)
    /// The engine answered with something this client cannot read.
    case decoding(endpoint: String, reason: String)
    /// The build stream reported an error (HTTP status is 200 by then). `logTail` holds the
    /// last lines of build output before it.
    case buildFailed(message: String, logTail: [String])
    /// The calling task was cancelled and the transfer aborted.
    case cancelled(endpoint: String)
    /// An attach stream is over (the container stopped, the engine hung up, or it was closed):
    /// nothing more can be written to it.
    case streamClosed(endpoint: String)
}
