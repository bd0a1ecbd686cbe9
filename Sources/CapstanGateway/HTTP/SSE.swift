import Hummingbird

/// Server-sent events framing for JSON-RPC messages: one `message` event per message.
enum SSE {
    static func event(_ message: JSONRPCMessage) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeString("event: message\ndata: ")
        buffer.writeBytes(message.json.bytes)
        buffer.writeString("\n\n")
        return buffer
    }

    /// A comment line: keeps proxies from closing an idle stream and reveals a dead peer.
    static let keepAlive = ByteBuffer(string: ": keep-alive\n\n")
}
