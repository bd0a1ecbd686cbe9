import Hummingbird
import HTTPTypes

/// Checks on a request's headers, each a pure function of header values.
enum RequestChecks {
    /// DNS rebinding defence: a browser page from elsewhere sends its own `Origin`. Requests
    /// without one (every non-browser client) pass; loopback origins and configured ones pass.
    static func originAllowed(_ origin: String?, allowed: [String]) -> Bool {
        guard let origin, origin != "null" else { return origin == nil }
        if allowed.contains(origin) { return true }
        guard let schemeEnd = origin.range(of: "://") else { return false }
        let scheme = origin[..<schemeEnd.lowerBound]
        guard scheme == "http" || scheme == "https" else { return false }
        var host = origin[schemeEnd.upperBound...]
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return false }
            host = host[host.index(after: host.startIndex)..<close]
            return host == "::1"
        }
        if let colon = host.firstIndex(of: ":") { host = host[..<colon] }
        return host == "localhost" || host == "127.0.0.1"
    }

    /// Whether an `Accept` header admits a media type (`*/*` and `type/*` count). Runs on every
    /// request, so it compares bytes instead of building strings.
    static func accepts(_ header: String?, _ mediaType: String) -> Bool {
        guard let header else { return false }
        let wanted = Array(mediaType.utf8)
        let major = wanted.prefix { $0 != UInt8(ascii: "/") } + Array("/*".utf8)
        for part in header.utf8.split(separator: UInt8(ascii: ",")) {
            let type = mediaTypeBytes(part)
            if type == wanted || type == Array("*/*".utf8) || type == major { return true }
        }
        return false
    }

    static func isJSON(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        return mediaTypeBytes(contentType.utf8[...]) == Array("application/json".utf8)
    }

    /// The media type of one header item: before any `;`, blanks trimmed, lowercased.
    private static func mediaTypeBytes(_ item: Substring.UTF8View.SubSequence) -> [UInt8] {
        let type = item.prefix { $0 != UInt8(ascii: ";") }
        return type.filter { $0 != 0x20 && $0 != 0x09 }.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 32 : $0 }
    }
}

extension HTTPField.Name {
    static let mcpSessionID = HTTPField.Name("Mcp-Session-Id")!
    static let mcpProtocolVersion = HTTPField.Name("MCP-Protocol-Version")!
    static let mcpMethod = HTTPField.Name("Mcp-Method")!
    static let mcpName = HTTPField.Name("Mcp-Name")!
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
    static let xAccelBuffering = HTTPField.Name("X-Accel-Buffering")!
}
