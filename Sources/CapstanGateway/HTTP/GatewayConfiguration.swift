/// How the gateway's client endpoint listens and what it accepts.
public struct GatewayConfiguration: Sendable {
    /// Loopback by default; anything else must be asked for.
    public var host: String
    public var port: Int
    /// Origins besides loopback ones that browsers may call from (`https://app.example`).
    public var allowedOrigins: [String]
    public var maxBodySize: Int
    /// Comment lines on idle event streams, so dead peers are noticed and proxies keep them open.
    public var keepAliveInterval: Duration

    public init(host: String = "127.0.0.1", port: Int = 8750, allowedOrigins: [String] = [],
                maxBodySize: Int = 4 << 20, keepAliveInterval: Duration = .seconds(25)) {
        self.host = host
        self.port = port
        self.allowedOrigins = allowedOrigins
        self.maxBodySize = maxBodySize
        self.keepAliveInterval = keepAliveInterval
    }
}
