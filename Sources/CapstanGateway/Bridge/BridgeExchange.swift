import Synchronization

/// One POST from the bridge: the answer to the app's request is kept for the caller; anything
/// else on the response (progress and other notifications on an event stream, the gateway's
/// own requests) goes to the app as it arrives, so it comes before the answer.
///
/// `head`, `body` and `end` run on the connection's reader thread one after the other, so the
/// parsing state needs no lock; what the caller reads afterwards is behind one or arrives
/// through `done`.
final class BridgeExchange: HTTPExchange, @unchecked Sendable {
    let done = Rendezvous<BridgePostOutcome>()
    /// The id of the app's request; nil for a notification or a response.
    private let requestID: JSONValue?
    private let sentSessionID: Bool
    private let forward: @Sendable (JSONValue) -> Void

    private var status = 0
    private var body = MessageBody(contentType: nil)
    private var answer: JSONValue?
    private var transportError: JSONRPCErrorObject?
    private let shared = Mutex<(connection: HTTPConnection?, sessionID: String?)>((nil, nil))

    init(requestID: JSONValue?, sentSessionID: Bool, forward: @escaping @Sendable (JSONValue) -> Void) {
        self.requestID = requestID
        self.sentSessionID = sentSessionID
        self.forward = forward
    }

    /// The `Mcp-Session-Id` the gateway assigned (on the answer to `initialize`).
    var sessionID: String? { shared.withLock { $0.sessionID } }

    func track(_ connection: HTTPConnection) { shared.withLock { $0.connection = connection } }

    /// The caller gave up: stop reading the response.
    func abort() {
        if let connection = shared.withLock({ $0.connection }) { connection.abort(self) }
    }

    func head(_ head: HTTPResponseParser.Head) {
        status = head.status
        if let id = head.header("mcp-session-id") { shared.withLock { $0.sessionID = id } }
        let type = head.header("content-type")
        // A refusal may carry a JSON-RPC error: its JSON is read too.
        let readable = (200..<300).contains(status) || type?.lowercased().hasPrefix("application/json") == true
        body = MessageBody(contentType: readable ? type : nil)
    }

    func body(_ bytes: UnsafeRawBufferPointer) {
        body.feed(bytes) { receive($0) }
    }

    func end(_ failure: String?) {
        if failure == nil { body.finish { receive($0) } }
        done.fulfill(BridgePostOutcome.classify(status: status, failure: answer == nil ? failure : nil, sentSessionID: sentSessionID,
                                                isRequest: requestID != nil, answer: answer, transportError: transportError))
    }

    private func receive(_ message: JSONRPCMessage) {
        switch message {
        case .response(let id, _) where id == requestID, .error(let id?, _) where id == requestID:
            if answer == nil { answer = message.json }
        case .error(nil, let error):
            // A transport-level refusal (no id): the caller turns it into the answer.
            transportError = error
        default:
            forward(message.json)
        }
    }
}
