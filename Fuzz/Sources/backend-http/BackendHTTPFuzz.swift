@testable import CapstanGateway

/// What an HTTP MCP server sends back on a keep-alive connection, as the HTTP backend reads it:
/// response heads, bodies framed by Content-Length, chunked coding or the close, then each body
/// read as JSON-RPC (`application/json`) or as an event stream (`text/event-stream`). The first
/// byte sets the size of the pieces the rest arrives in (1–256 bytes); what is read must not
/// depend on it.
@_cdecl("LLVMFuzzerTestOneInput")
public func backendHTTPFuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard size > 0, let data else { return 0 }
    let piece = Int(data[0]) + 1
    let stream = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    let whole = read(stream, piece: stream.count)
    let pieces = read(stream, piece: piece)
    guard whole == pieces else { fatalError("responses depend on how the stream is split (pieces of \(piece))") }
    return 0
}

/// What the reader saw: framing steps (consecutive body bytes merged) and, apart, the messages
/// the bodies held (an event stream delivers them in the middle of a body).
private struct Transcript: Equatable {
    enum Step: Equatable {
        case head(status: Int, headers: [String])
        case body([UInt8])
        case end
        case malformed(String)
    }

    var steps: [Step] = []
    var messages: [JSONRPCMessage] = []

    mutating func body(_ bytes: UnsafeRawBufferPointer) {
        if case .body(let before)? = steps.last {
            steps[steps.count - 1] = .body(before + bytes)
        } else {
            steps.append(.body(Array(bytes)))
        }
    }
}

private func read(_ stream: UnsafeRawBufferPointer, piece: Int) -> Transcript {
    var parser = HTTPResponseParser()
    var body = MessageBody(contentType: nil)
    var out = Transcript()
    func handle(_ event: HTTPResponseParser.Event) {
        switch event {
        case .head(let head):
            out.steps.append(.head(status: head.status, headers: head.headers.map { $0.name + ": " + $0.value }))
            _ = head.keepAlive
            body = MessageBody(contentType: head.header("content-type"))
        case .body(let bytes):
            out.body(bytes)
            body.feed(bytes) { out.messages.append($0) }
        case .end:
            out.steps.append(.end)
            body.finish { out.messages.append($0) }
            body = MessageBody(contentType: nil)
        }
    }
    var start = 0
    do throws(HTTPResponseParser.Malformed) {
        while start < stream.count {
            let end = min(start + piece, stream.count)
            try parser.feed(UnsafeRawBufferPointer(rebasing: stream[start..<end]), emit: handle)
            start = end
        }
        _ = parser.isBetweenResponses
        try parser.finish(emit: handle)
    } catch {
        out.steps.append(.malformed(error.reason))
    }
    for message in out.messages { _ = BackendMessages.classify(message) }
    return out
}
