import Synchronization

/// An MCP server that speaks Streamable HTTP on a loopback address. One MCP session
/// (`Mcp-Session-Id`) carries every client's requests, each a POST on a pooled keep-alive
/// connection; the answer comes back as JSON or as an event stream that may carry progress
/// and requests from the server first. Ids and progress tokens are remapped as for stdio.
/// A GET stream, where the server offers one, brings list changes and other notifications.
///
/// A server that forgot the session (HTTP 404) is initialized again and the request resent
/// once; one that went away fails the calls in flight at once (their connections break) and is
/// initialized again by the next call. Restarting the server is not the backend's business:
/// an HTTP server's container is kept running by the controller.
///
/// Threads: each pooled connection has a reader thread that parses responses as they arrive
/// and resumes the waiting task directly; progress and list-change handlers run there.
public final class HTTPBackend: SessionBackend, HTTPMessageSink {
    public let server: String
    public let url: String
    private let endpoint: Result<LoopbackEndpoint, BackendError>
    private let initializeTimeout: Duration
    let requestTimeout: Duration
    let core: BackendCore
    let sessions: SessionKeeper<Session>
    private let pool: HTTPConnectionPool?
    private let listener = Mutex<ListenExchange?>(nil)

    /// How long the GET stream waits before it is opened again after the server ended it.
    static let relistenDelay: Duration = .seconds(1)

    struct Session: KeptSession {
        let generation: Int
        /// nil for a server that keeps no sessions.
        let id: String?
        let protocolVersion: String
        let initializeResult: JSONObject
        /// Every header of a POST but `Content-Length`, ready to send.
        let postHead: [UInt8]
    }

    /// `url` is `http://127.0.0.1:<port>/<path>` (any loopback host); anything else makes every
    /// call fail with `.unavailable`. Timeouts as for `StdioBackend`.
    public init(server: String, url: String, initializeTimeout: Duration = .seconds(10), requestTimeout: Duration = .seconds(30)) {
        self.server = server
        self.url = url
        self.initializeTimeout = initializeTimeout
        self.requestTimeout = requestTimeout
        core = BackendCore(server: server)
        sessions = SessionKeeper(server: server)
        do throws(LoopbackEndpoint.Invalid) {
            let endpoint = try LoopbackEndpoint(url)
            self.endpoint = .success(endpoint)
            pool = HTTPConnectionPool(endpoint: endpoint)
        } catch {
            // Not the URL itself: one with user info would put a credential into the error.
            endpoint = .failure(.unavailable(server: server, reason: "its URL is not http://<loopback address>:<port>/<path>"))
            pool = nil
        }
    }

    // MARK: MCPBackend

    public func send(_ request: JSONRPCMessage, timeout: Duration,
                     onNotification: @escaping @Sendable (JSONRPCMessage) -> Void) async throws(BackendError) -> JSONRPCMessage {
        guard case .request(let callerID, let method, let params) = request else {
            throw .protocolViolation(server: server, reason: "only requests go through a backend")
        }
        let deadline = BackendCore.deadline(after: timeout)
        var retried = false
        while true {
            let session = try await sessions.session(for: self, until: deadline, timeout: timeout)
            let (id, exchange, outcome) = await post(method: method, params: params, callerID: callerID, session: session,
                                                     timeout: ContinuousClock.now.duration(to: deadline), onNotification: onNotification)
            switch outcome {
            case .success(let answer):
                return answer
            case .failure(.notSent), .failure(.sessionExpired):
                sessions.ended(session.generation)
                guard !retried else {
                    throw .unavailable(server: server, reason: "the server lost the session again right after initialize")
                }
                retried = true
            case .failure(.failed(let error)):
                switch error {
                case .timeout:
                    exchange.abort()
                    notifyCancelled(id, session: session, reason: "the gateway's timeout of \(timeout) passed")
                    throw .timeout(server: server, after: timeout)
                case .cancelled:
                    exchange.abort()
                    notifyCancelled(id, session: session, reason: "the client cancelled the request")
                    throw .cancelled
                case .unavailable:
                    // The server went away or broke the connection: the next call starts over.
                    sessions.ended(session.generation)
                    throw error
                case .protocolViolation:
                    throw error
                }
            }
        }
    }

    public func close() async {
        let session = sessions.close()
        core.table.close(sessions.closedError)
        listener.withLock { listener -> ListenExchange? in
            defer { listener = nil }
            return listener
        }?.stop()
        if let session { await endSession(session) }
        pool?.closeAll()
    }

    // MARK: Beyond the protocol

    /// Notifications from the server that belong to no request; without a handler they are dropped.
    public func onServerNotification(_ handler: @escaping @Sendable (JSONRPCMessage) -> Void) {
        core.onServerNotification(handler)
    }

    /// The protocol version the current session agreed on; nil while not connected.
    public var protocolVersion: String? { sessions.current?.protocolVersion }

    /// The server's id for the current session, if it keeps sessions.
    var sessionID: String? { sessions.current?.id }

    // MARK: Session

    func connect() async -> Result<Session, BackendError> {
        do throws(BackendError) {
            let endpoint = try endpoint.get()
            let generation = sessions.nextGeneration()
            let deadline = BackendCore.deadline(after: initializeTimeout)
            let opening = Session(generation: generation, id: nil, protocolVersion: "", initializeResult: [:],
                                  postHead: Self.postHead(endpoint, sessionID: nil, protocolVersion: nil))
            let (_, exchange, outcome) = await post(method: "initialize", params: BackendMessages.initializeParams, callerID: .int(0),
                                             session: opening, timeout: initializeTimeout, onNotification: { _ in })
            let answer: JSONRPCMessage
            switch outcome {
            case .success(let message):
                answer = message
            case .failure(.failed(let error)):
                exchange.abort()
                throw error
            case .failure(.notSent), .failure(.sessionExpired):
                throw .unavailable(server: server, reason: "the server refused initialize")
            }
            let (version, result) = try BackendMessages.accept(initializeAnswer: answer, server: server)
            let sessionID = exchange.sessionID
            if let sessionID, !sessionID.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) {
                throw .protocolViolation(server: server, reason: "the server's Mcp-Session-Id is not visible ASCII")
            }
            let session = Session(generation: generation, id: sessionID, protocolVersion: version, initializeResult: result,
                                  postHead: Self.postHead(endpoint, sessionID: sessionID, protocolVersion: version))
            guard let status = await postStatus(Self.request(head: session.postHead, body: BackendMessages.initialized.json.bytes),
                                                until: deadline),
                  (200..<300).contains(status) else {
                await endSession(session)
                throw .unavailable(server: server, reason: "the server did not accept notifications/initialized")
            }
            listen(session)
            return .success(session)
        } catch {
            return .failure(error)
        }
    }

    func discard(_ session: Session) {
        listener.withLock { listener -> ListenExchange? in
            guard listener?.generation == session.generation else { return nil }
            defer { listener = nil }
            return listener
        }?.stop()
        Task { await self.endSession(session) }
    }

    func reconnected() { core.lists.changed(ListKind.allCases, onlyCached: true) }

    /// Posts one request and waits for its outcome.
    private func post(method: String, params: JSONValue?, callerID: JSONValue, session: Session, timeout: Duration,
                      onNotification: @escaping @Sendable (JSONRPCMessage) -> Void) async
        -> (id: Int, exchange: RequestExchange, outcome: Result<JSONRPCMessage, CallFailure>) {
        let id = core.nextID()
        let exchange = RequestExchange(id: id, table: core.table, sink: self, server: server, sentSessionID: session.id != nil)
        let (_, outcome) = await core.call(id: id, method: method, params: params, callerID: callerID, timeout: timeout,
                                           generation: session.generation, onNotification: onNotification) { _, message in
            // Without a pool the URL was refused, and `connect` never got this far.
            guard let pool else { return .failed(.unavailable(server: server, reason: "no valid URL")) }
            if let reason = pool.send(Self.request(head: session.postHead, body: message.bytes), exchange, register: exchange.track) {
                return .failed(.unavailable(server: server, reason: reason))
            }
            return nil
        }
        return (id, exchange, outcome)
    }

    /// Sends a message that gets no JSON-RPC answer and returns the HTTP status (nil: no answer
    /// by `deadline`, or the connection failed).
    private func postStatus(_ request: [UInt8], until deadline: ContinuousClock.Instant) async -> Int? {
        guard let pool else { return nil }
        let exchange = StatusExchange()
        if pool.send(request, exchange, register: exchange.track) != nil { return nil }
        guard let status = await exchange.done.value(until: deadline) else {
            exchange.abort()
            return nil
        }
        return status
    }

    private func notifyCancelled(_ id: Int, session: Session, reason: String) {
        let request = Self.request(head: session.postHead, body: BackendMessages.cancelled(id: id, reason: reason).json.bytes)
        Task { _ = await self.postStatus(request, until: ContinuousClock.now.advanced(by: .seconds(5))) }
    }

    /// Ends a session at the server (DELETE), best effort: a server may not support it.
    private func endSession(_ session: Session) async {
        guard let id = session.id, case .success(let endpoint) = endpoint else { return }
        let text = "DELETE \(endpoint.path) HTTP/1.1\r\nHost: \(endpoint.authority)\r\nMcp-Session-Id: \(id)\r\n"
            + "MCP-Protocol-Version: \(session.protocolVersion)\r\nContent-Length: 0\r\n\r\n"
        _ = await postStatus(Array(text.utf8), until: ContinuousClock.now.advanced(by: .seconds(1)))
    }

    // MARK: Messages from the server

    func received(_ message: JSONRPCMessage) {
        guard let reply = core.receive(message), let session = sessions.current else { return }
        let request = Self.request(head: session.postHead, body: reply.json.bytes)
        Task { _ = await self.postStatus(request, until: ContinuousClock.now.advanced(by: .seconds(5))) }
    }

    /// Opens the session's GET stream, for what the server sends outside any request.
    private func listen(_ session: Session) {
        guard let pool, case .success(let endpoint) = endpoint else { return }
        var text = "GET \(endpoint.path) HTTP/1.1\r\nHost: \(endpoint.authority)\r\nAccept: text/event-stream\r\n"
            + "MCP-Protocol-Version: \(session.protocolVersion)\r\n"
        if let id = session.id { text += "Mcp-Session-Id: \(id)\r\n" }
        text += "\r\n"
        let exchange = ListenExchange(generation: session.generation, sink: self) { [weak self] generation, status, failure in
            self?.listenEnded(generation: generation, status: status, failure: failure)
        }
        let previous = listener.withLock { listener -> ListenExchange? in
            defer { listener = exchange }
            return listener
        }
        previous?.stop()
        guard case .success(let connection) = pool.dedicated() else {
            listenEnded(generation: session.generation, status: 0, failure: "cannot connect")
            return
        }
        exchange.track(connection)
        if connection.begin(Array(text.utf8), exchange) != .sent {
            connection.close()
            listenEnded(generation: session.generation, status: 0, failure: "cannot send")
        }
    }

    private func listenEnded(generation: Int, status: Int, failure: String?) {
        guard let session = sessions.current, session.generation == generation else { return }
        switch status {
        case 0, 404:
            // Unreachable, or the server forgot the session: the next call initializes again.
            sessions.ended(generation)
        case 200:
            // The server ended the stream (it may, at any time) or the connection broke:
            // listen again; if the server is gone that fails and ends the session.
            Task {
                try? await Task.sleep(for: Self.relistenDelay)
                if let session = self.sessions.current, session.generation == generation { self.listen(session) }
            }
        default:
            // 405: the server offers no GET stream (list changes then come only with responses);
            // anything else, it does not want one from us now. Either way, no retry loop.
            break
        }
    }

    // MARK: Requests

    static func postHead(_ endpoint: LoopbackEndpoint, sessionID: String?, protocolVersion: String?) -> [UInt8] {
        var text = "POST \(endpoint.path) HTTP/1.1\r\nHost: \(endpoint.authority)\r\nUser-Agent: capstan-gateway\r\n"
            + "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
        if let sessionID { text += "Mcp-Session-Id: \(sessionID)\r\n" }
        if let protocolVersion { text += "MCP-Protocol-Version: \(protocolVersion)\r\n" }
        return Array(text.utf8)
    }

    static func request(head: [UInt8], body: [UInt8]) -> [UInt8] {
        var request = head
        request.reserveCapacity(head.count + body.count + 32)
        request.append(contentsOf: "Content-Length: \(body.count)\r\n\r\n".utf8)
        request.append(contentsOf: body)
        return request
    }
}
