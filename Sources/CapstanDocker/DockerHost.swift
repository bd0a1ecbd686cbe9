/// Where the engine listens. Only a unix socket or a loopback TCP port: the client never sends
/// a request off this machine, whatever `DOCKER_HOST` says.
public enum DockerHost: Sendable, Equatable {
    case unix(path: String)
    /// `host` is a loopback literal or `localhost`.
    case tcp(host: String, port: Int)

    public static let defaultSocket = "unix:///var/run/docker.sock"

    /// `host`, else `$DOCKER_HOST`, else the default socket.
    public static func resolve(_ host: String?, environment: [String: String]) throws(DockerError) -> DockerHost {
        let chosen = host ?? environment["DOCKER_HOST"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultSocket
        return try parse(chosen)
    }

    public static func parse(_ string: String) throws(DockerError) -> DockerHost {
        if string.hasPrefix("unix://") {
            let path = String(string.dropFirst("unix://".count))
            guard path.hasPrefix("/") else {
                throw .invalidHost(host: string, reason: "a unix socket path must be absolute")
            }
            return .unix(path: path)
        }
        guard string.hasPrefix("tcp://") else {
            throw .invalidHost(host: string, reason: "only unix:// and loopback tcp:// hosts are supported")
        }
        var rest = Substring(string.dropFirst("tcp://".count))
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        let name: Substring
        let portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else {
                throw .invalidHost(host: string, reason: "unterminated IPv6 address")
            }
            name = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            portText = after.hasPrefix(":") ? after.dropFirst() : nil
        } else if let colon = rest.lastIndex(of: ":") {
            name = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            name = rest
            portText = nil
        }
        guard isLoopback(String(name)) else {
            throw .invalidHost(host: string, reason: "\(name) is not a loopback address; Capstan talks only to a local engine")
        }
        // 2375 is the engine's conventional plain-HTTP port.
        guard let port = portText.map({ Int($0) }) ?? 2375, (1...65535).contains(port) else {
            throw .invalidHost(host: string, reason: "invalid port")
        }
        return .tcp(host: String(name), port: port)
    }

    static func isLoopback(_ name: String) -> Bool {
        if name == "localhost" || name == "::1" { return true }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets[0] == "127" else { return false }
        return octets.allSatisfy { UInt8($0) != nil }
    }

    /// What curl connects to; the authority of a unix-socket URL is never resolved.
    var baseURL: String {
        switch self {
        case .unix: "http://localhost"
        case .tcp(let host, let port): host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)"
        }
    }
}
