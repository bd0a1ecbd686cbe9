/// What `capstan bridge` is given: where the gateway is, the app's token, and how long a
/// request waits for a gateway that does not answer before it gets an error.
public struct BridgeConfiguration: Sendable {
    public var url: String
    public var token: String
    public var retryTime: Duration
    /// How long the gateway may take to answer `initialize`.
    public var initializeTimeout: Duration

    public init(url: String, token: String, retryTime: Duration = .seconds(10), initializeTimeout: Duration = .seconds(10)) {
        self.url = url
        self.token = token
        self.retryTime = retryTime
        self.initializeTimeout = initializeTimeout
    }
}

/// Why a bridge cannot start. Never carries the token.
public enum BridgeError: Error, Sendable, Equatable {
    /// The URL is not `http://<loopback address>:<port>/<path>`; `reason` says which part.
    case invalidURL(reason: String)
    /// The token is empty or holds characters that cannot go into an HTTP header.
    case invalidToken

    static func url(_ invalid: LoopbackEndpoint.Invalid) -> BridgeError {
        switch invalid {
        case .notHTTP: .invalidURL(reason: "it does not start with http:// (the bridge speaks plain HTTP to a gateway on this machine)")
        case .userInfo: .invalidURL(reason: "it holds user information; give the token with --token-file or --token-env")
        case .notLoopback(let host): .invalidURL(reason: "\(host) is not a loopback address (127.0.0.0/8, ::1 or localhost)")
        case .badPort: .invalidURL(reason: "the port is not a number from 1 to 65535")
        }
    }

    /// Visible ASCII only: anything else could end the header line or be mangled on the way.
    static func checkToken(_ token: String) throws(BridgeError) {
        guard !token.isEmpty, token.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else { throw .invalidToken }
    }
}
