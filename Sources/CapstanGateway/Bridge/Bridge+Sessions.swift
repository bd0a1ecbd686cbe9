import Synchronization

/// Opening, replacing and ending the bridge's sessions with the gateway, and each session's GET
/// stream. What to do is `BridgeLink`'s decision; this performs it.
extension Bridge {
    func startOpening(_ generation: Int) {
        Task { await self.open(generation) }
    }

    /// Opens session `generation` with the app's handshake; on failure, schedules the next
    /// attempt when the link asks for one.
    func open(_ generation: Int) async {
        guard let handshake = state.withLock({ $0.link.handshake }) else { return }
        switch await initialize(handshake.request, generation: generation) {
        case .success(let session):
            if update({ $0.willOpen(generation) }) {
                _ = await post(Self.initialized, requestID: nil, session: session,
                               until: ContinuousClock.now.advanced(by: Self.notificationTimeout))
            }
            let opened = update { $0.opened(session) }
            let outage = state.withLock { state -> Bool in
                defer { state.outage = false }
                return state.outage
            }
            switch opened {
            case .stale:
                await end(session)
                return
            case .first(let sendInitialized), .replay(let sendInitialized):
                if sendInitialized { await notify(Self.initialized, session: session) }
            }
            listen(session)
            if case .replay = opened {
                log(outage ? "the gateway answers again; opened a new session" : "the gateway no longer knows the session; opened a new session")
                announceListChanges(session)
            } else {
                log("connected to \(configuration.url) (MCP \(session.protocolVersion))")
            }
        case .failure(let failure):
            let retry = update { $0.failed(generation, failure, now: .now) }
            logFailure(failure)
            if let retry {
                Task {
                    try? await Task.sleep(for: retry)
                    if let next = self.update({ $0.retryDue(generation) }) { await self.open(next) }
                }
            }
        }
    }

    func initialize(_ request: JSONValue, generation: Int) async -> Result<BridgeLink.Session, BridgeLink.Failure> {
        let (outcome, sessionID) = await post(request, requestID: request["id"], session: nil,
                                              until: ContinuousClock.now.advanced(by: configuration.initializeTimeout), forward: false)
        switch outcome {
        case .answered(let answer):
            switch try? JSONRPCMessage(answer) {
            case .response(_, let result)?:
                guard let version = result["protocolVersion"]?.stringValue else {
                    return .failure(.refused(Self.protocolError("the gateway's initialize result has no protocolVersion")))
                }
                if let sessionID, !sessionID.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) {
                    return .failure(.refused(Self.protocolError("the gateway's Mcp-Session-Id is not visible ASCII")))
                }
                return .success(BridgeLink.Session(generation: generation, id: sessionID, protocolVersion: version, initializeResult: result))
            case .error(_, let error)?:
                return .failure(.refused(error))
            default:
                return .failure(.refused(Self.protocolError("the gateway did not answer initialize")))
            }
        case .notDelivered(let reason), .lostBeforeResponse(let reason), .lostInFlight(let reason):
            return .failure(.unreachable(reason))
        case .unauthorized:
            return .failure(.unauthorized)
        case .rejected(let status, let error):
            return .failure(.refused(BridgeReplies.httpStatus(status, error)))
        case .noAnswer(let status):
            return .failure(.refused(BridgeReplies.httpStatus(status, nil)))
        case .sessionGone, .accepted:
            return .failure(.refused(Self.protocolError("the gateway did not answer initialize")))
        }
    }

    func lose(_ session: BridgeLink.Session) {
        if let generation = update({ $0.lost(session.generation) }) { startOpening(generation) }
    }

    /// A session the app replaced with a new `initialize`.
    func retire(_ session: BridgeLink.Session) {
        stopListening(generation: session.generation)
        Task { await self.end(session) }
    }

    /// Ends a session at the gateway (DELETE), best effort.
    func end(_ session: BridgeLink.Session) async {
        guard session.id != nil else { return }
        let exchange = StatusExchange()
        guard pool.send(requests.delete(session), exchange, register: exchange.track) == nil else { return }
        if await exchange.done.value(until: ContinuousClock.now.advanced(by: .seconds(1))) == nil { exchange.abort() }
    }

    /// After a new session the gateway's view may differ from what the app listed: tell it to
    /// list again, for each list the gateway says can change.
    func announceListChanges(_ session: BridgeLink.Session) {
        for kind in ["tools", "prompts", "resources"]
        where session.initializeResult["capabilities"]?[kind]?["listChanged"] == .bool(true) {
            out.write(JSONRPCMessage.notification(method: "notifications/\(kind)/list_changed", params: nil).json)
        }
    }

    func logFailure(_ failure: BridgeLink.Failure) {
        switch failure {
        case .unreachable(let reason):
            let first = state.withLock { state -> Bool in
                defer { state.outage = true }
                return !state.outage
            }
            if first { log("the gateway at \(configuration.url) does not answer (\(reason)); retrying") }
        case .unauthorized:
            log("the gateway refused the token (HTTP 401)")
        case .refused(let error):
            log("the gateway refused initialize: \(error.message) (\(error.code))")
        }
    }

    // MARK: The GET stream

    /// Opens the session's GET stream, on which the gateway sends list changes.
    func listen(_ session: BridgeLink.Session) {
        guard session.id != nil else { return }
        let exchange = ListenExchange(generation: session.generation, sink: AppSink(out: out)) { [weak self] generation, status, _ in
            self?.listenEnded(generation: generation, status: status)
        }
        let (closing, previous) = state.withLock { state -> (Bool, ListenExchange?) in
            guard !state.closing else { return (true, nil) }
            defer { state.listener = exchange }
            return (false, state.listener)
        }
        previous?.stop()
        guard !closing else { return }
        guard case .success(let connection) = pool.dedicated() else {
            listenEnded(generation: session.generation, status: 0)
            return
        }
        exchange.track(connection)
        if connection.begin(requests.listen(session), exchange) != .sent {
            connection.close()
            listenEnded(generation: session.generation, status: 0)
        }
    }

    func listenEnded(generation: Int, status: Int) {
        let session = state.withLock { state -> BridgeLink.Session? in
            guard !state.closing, let session = state.link.currentSession, session.generation == generation else { return nil }
            return session
        }
        guard let session else { return }
        switch status {
        case 0, 404:
            // The gateway is gone or forgot the session: open a new one (retried until it answers).
            lose(session)
        case 200:
            // The stream ended or broke: listen again; a gateway that went away fails that.
            Task {
                try? await Task.sleep(for: Self.relistenDelay)
                if self.state.withLock({ $0.link.currentSession?.generation }) == generation { self.listen(session) }
            }
        case 401:
            log("the gateway refused the token for its event stream (HTTP 401)")
        default:
            // 405: the gateway offers no GET stream; anything else: it does not want one now.
            break
        }
    }

    func stopListening(generation: Int) {
        state.withLock { state -> ListenExchange? in
            guard state.listener?.generation == generation else { return nil }
            defer { state.listener = nil }
            return state.listener
        }?.stop()
    }
}

/// Where the GET stream's messages go: to the app, as they are.
private final class AppSink: HTTPMessageSink {
    let out: LineWriter
    init(out: LineWriter) { self.out = out }
    func received(_ message: JSONRPCMessage) { out.write(message.json) }
}
