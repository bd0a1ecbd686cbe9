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

/// What the apply output, the controller's status and the CLI show. A lost engine is said in
/// words: libcurl's own text for a request over the engine's unix socket reads "Failed to
/// connect to localhost port 80", which sends people looking for a web server instead of a
/// stopped dockerd.
extension DockerError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .invalidHost(let host, let reason):
            return "cannot use Docker host \(host): \(reason)"
        case .transport(let endpoint, let reason):
            // libcurl's reason is "<summary>: <detail>"; the summary is the part that means something here.
            let summary = reason.split(separator: ":", maxSplits: 1).first.map(String.init) ?? reason
            return "no answer from the Docker engine (\(endpoint): \(summary)); is dockerd running?"
        case .notFound(let endpoint, let message):
            return "\(endpoint): not found: \(message)"
        case .conflict(let endpoint, let message):
            return "\(endpoint): conflict: \(message)"
        case .engine(let status, let endpoint, let message):
            return "\(endpoint): the engine answered \(status): \(message)"
        case .unsupportedVersion(let engine, let minimum):
            return "the Docker engine speaks API \(engine); Capstan needs \(minimum) or newer"
        case .decoding(let endpoint, let reason):
            return "\(endpoint): cannot read the engine's answer: \(reason)"
        case .buildFailed(let message, let logTail):
            // The step that failed and what it printed last; the whole log is `docker build`'s to show.
            let last = logTail.suffix(Self.buildLinesShown).map { "\n    | \($0)" }.joined()
            return "the image build failed: \(message)\(last)"
        case .cancelled(let endpoint):
            return "\(endpoint): cancelled"
        case .streamClosed(let endpoint):
            return "\(endpoint): the stream is closed (the container stopped or the engine hung up)"
        }
    }

    static let buildLinesShown = 10
}
