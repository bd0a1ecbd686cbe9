/// The HTTP requests the bridge sends the gateway, as bytes. Every one carries the bearer
/// token; after `initialize`, the session and its protocol version as well.
struct GatewayRequests: Sendable {
    let endpoint: LoopbackEndpoint
    let token: String

    static let userAgent = "capstan-bridge"

    /// A POST of one JSON-RPC message. `session` is nil for `initialize` (which opens one)
    /// and for what the app sends before it.
    func post(_ message: JSONValue, session: BridgeLink.Session?) -> [UInt8] {
        var text = "POST \(endpoint.path) HTTP/1.1\r\n" + common(session)
            + "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
        let body = message.bytes
        text += "Content-Length: \(body.count)\r\n\r\n"
        return Array(text.utf8) + body
    }

    /// The GET stream of a session: what the gateway sends outside any request.
    func listen(_ session: BridgeLink.Session) -> [UInt8] {
        Array(("GET \(endpoint.path) HTTP/1.1\r\n" + common(session) + "Accept: text/event-stream\r\nCache-Control: no-store\r\n\r\n").utf8)
    }

    /// Ends a session at the gateway.
    func delete(_ session: BridgeLink.Session) -> [UInt8] {
        Array(("DELETE \(endpoint.path) HTTP/1.1\r\n" + common(session) + "Content-Length: 0\r\n\r\n").utf8)
    }

    private func common(_ session: BridgeLink.Session?) -> String {
        var text = "Host: \(endpoint.authority)\r\nUser-Agent: \(Self.userAgent)\r\nAuthorization: Bearer \(token)\r\n"
        if let session {
            if let id = session.id { text += "Mcp-Session-Id: \(id)\r\n" }
            text += "MCP-Protocol-Version: \(session.protocolVersion)\r\n"
        }
        return text
    }
}
