import Foundation
import Synchronization

/// What the HTTP backend does with messages that arrive on a response: route them (answers,
/// progress, list changes) and answer the server's own requests.
protocol HTTPMessageSink: AnyObject, Sendable {
    func received(_ message: JSONRPCMessage)
}

/// Reads one response body of JSON-RPC messages: a single JSON document
/// (`application/json`) or an event stream (`text/event-stream`), one message per event.
struct MessageBody {
    enum Kind { case json, events, other }

    static let maximumLength = 64 << 20

    private(set) var kind: Kind = .other
    private var bytes: [UInt8] = []
    private var events = SSEDecoder()
    /// Kept for error messages when the body is neither.
    private(set) var text: [UInt8] = []
    private(set) var overflowed = false

    init(contentType: String?) {
        let type = contentType?.lowercased() ?? ""
        if type.hasPrefix("application/json") {
            kind = .json
        } else if type.hasPrefix("text/event-stream") {
            kind = .events
        }
    }

    mutating func feed(_ chunk: UnsafeRawBufferPointer, deliver: (JSONRPCMessage) -> Void) {
        switch kind {
        case .json:
            guard bytes.count + chunk.count <= Self.maximumLength else { overflowed = true; return }
            bytes.append(contentsOf: chunk)
        case .events:
            do throws(SSEDecoder.TooLong) {
                try events.feed(chunk) { data in
                    for message in BackendMessages.decode(data) ?? [] { deliver(message) }
                }
            } catch {
                overflowed = true
            }
        case .other:
            if text.count < 2048 { text.append(contentsOf: chunk.prefix(2048 - text.count)) }
        }
    }

    mutating func finish(deliver: (JSONRPCMessage) -> Void) {
        guard kind == .json, !bytes.isEmpty else { return }
        for message in BackendMessages.decode(bytes) ?? [] { deliver(message) }
        text = Array(bytes.prefix(2048))
        bytes = []
    }
}

/// One POST that carries a request: the answer and any progress or server requests on its
/// event stream go to the sink; if the response ends without the answer, the call fails with
/// what the response says (a 404 for a session that is gone means "initialize again").
///
/// `head`, `body` and `end` run on the connection's reader thread, one after the other, so the
/// parsing state needs no lock; what the caller reads afterwards (the session id, the
/// connection to abort) is behind one.
final class RequestExchange: HTTPExchange, @unchecked Sendable {
    let id: Int
    private let table: CallTable
    private let sink: any HTTPMessageSink
    private let server: String
    private let sentSessionID: Bool

    private var status = 0
    private var body = MessageBody(contentType: nil)
    private let shared = Mutex<(connection: HTTPConnection?, sessionID: String?)>((nil, nil))

    init(id: Int, table: CallTable, sink: any HTTPMessageSink, server: String, sentSessionID: Bool) {
        self.id = id
        self.table = table
        self.sink = sink
        self.server = server
        self.sentSessionID = sentSessionID
    }

    /// The `Mcp-Session-Id` the server assigned (on the answer to initialize).
    var sessionID: String? { shared.withLock { $0.sessionID } }

    func track(_ connection: HTTPConnection) { shared.withLock { $0.connection = connection } }

    /// The caller gave up (timeout, cancellation): stop reading the response.
    func abort() {
        if let connection = shared.withLock({ $0.connection }) { connection.abort(self) }
    }

    func head(_ head: HTTPResponseParser.Head) {
        status = head.status
        if let id = head.header("mcp-session-id") { shared.withLock { $0.sessionID = id } }
        let type = head.header("content-type")
        // A refusal may still carry a JSON-RPC error for this request: its JSON is read too.
        let readable = (200..<300).contains(status) || type?.lowercased().hasPrefix("application/json") == true
        body = MessageBody(contentType: readable ? type : nil)
    }

    func body(_ bytes: UnsafeRawBufferPointer) {
        body.feed(bytes) { sink.received($0) }
    }

    func end(_ failure: String?) {
        if failure == nil { body.finish { sink.received($0) } }
        guard table.isWaiting(id) else { return }
        let outcome: CallFailure
        if let failure {
            outcome = .failed(.unavailable(server: server, reason: "lost the connection to the server: \(failure)"))
        } else if status == 404, sentSessionID {
            outcome = .sessionExpired
        } else if !(200..<300).contains(status) {
            let detail = String(decoding: body.text, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            // The server is there but refused: not a reason to drop the session.
            outcome = .failed(.protocolViolation(server: server, reason: "the server answered HTTP \(status)" + (detail.isEmpty ? "" : ": \(detail)")))
        } else if body.overflowed {
            outcome = .failed(.protocolViolation(server: server, reason: "the server's answer is larger than \(MessageBody.maximumLength) bytes"))
        } else {
            outcome = .failed(.protocolViolation(server: server, reason: "the server's HTTP response held no answer to the request"))
        }
        table.finish(id, .failure(outcome))
    }
}

/// A POST of a notification or a response, or a DELETE: only the status matters (202).
final class StatusExchange: HTTPExchange, @unchecked Sendable {
    let done = Rendezvous<Int?>()
    private var status = 0
    private let connection = Mutex<HTTPConnection?>(nil)

    func track(_ connection: HTTPConnection) { self.connection.withLock { $0 = connection } }

    func abort() {
        if let connection = connection.withLock({ $0 }) { connection.abort(self) }
    }

    func head(_ head: HTTPResponseParser.Head) { status = head.status }
    func body(_ bytes: UnsafeRawBufferPointer) {}
    func end(_ failure: String?) { done.fulfill(failure == nil ? status : nil) }
}

/// The GET stream on which a server sends what belongs to no request: list changes, logs,
/// its own requests. It lives as long as the session; `ended` learns how it ended.
final class ListenExchange: HTTPExchange, @unchecked Sendable {
    let generation: Int
    private let sink: any HTTPMessageSink
    private let ended: @Sendable (_ generation: Int, _ status: Int, _ failure: String?) -> Void
    private var status = 0
    private var body = MessageBody(contentType: nil)
    private let connection = Mutex<HTTPConnection?>(nil)

    init(generation: Int, sink: any HTTPMessageSink,
         ended: @escaping @Sendable (_ generation: Int, _ status: Int, _ failure: String?) -> Void) {
        self.generation = generation
        self.sink = sink
        self.ended = ended
    }

    func track(_ connection: HTTPConnection) { self.connection.withLock { $0 = connection } }

    func stop() {
        if let connection = connection.withLock({ $0 }) { connection.close() }
    }

    func head(_ head: HTTPResponseParser.Head) {
        status = head.status
        body = MessageBody(contentType: status == 200 ? head.header("content-type") : nil)
    }

    func body(_ bytes: UnsafeRawBufferPointer) {
        body.feed(bytes) { sink.received($0) }
    }

    func end(_ failure: String?) {
        ended(generation, status, failure)
    }
}
