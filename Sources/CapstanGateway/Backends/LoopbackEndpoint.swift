/// Where an HTTP MCP server listens: `http://<loopback>:<port>/<path>`. Only loopback hosts are
/// accepted: a gateway backend never reaches off the machine (servers run with network `host`
/// and listen on 127.0.0.1, or publish to it).
struct LoopbackEndpoint: Sendable, Equatable {
    var host: String
    var port: Int
    var path: String

    enum Invalid: Error, Equatable {
        case notHTTP
        /// User info (`user:password@`) is refused, and never repeated in an error.
        case userInfo
        case notLoopback(String)
        case badPort
    }

    init(host: String, port: Int, path: String) {
        self.host = host
        self.port = port
        self.path = path
    }

    init(_ url: String) throws(Invalid) {
        guard url.hasPrefix("http://") else { throw .notHTTP }
        let rest = url.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.contains("@") else { throw .userInfo }
        var path = String(rest.dropFirst(authority.count).prefix { $0 != "#" })
        if path.isEmpty { path = "/" } else if path.hasPrefix("?") { path = "/" + path }
        let name: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .notLoopback(String(authority)) }
            name = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() }
        } else if let colon = authority.lastIndex(of: ":") {
            name = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            name = authority
        }
        guard Self.isLoopback(String(name)) else { throw .notLoopback(String(name)) }
        guard let port = portText.map({ Int($0) }) ?? 80, (1...65535).contains(port) else { throw .badPort }
        self.init(host: String(name), port: port, path: path)
    }

    /// The `Host` header; servers with DNS-rebinding protection (FastMCP) check it.
    var authority: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    static func isLoopback(_ name: String) -> Bool {
        if name == "localhost" || name == "::1" { return true }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}
