import Synchronization

/// A stdio ⇄ Streamable HTTP bridge, for apps that only start local stdio servers: JSON-RPC
/// lines from the app (stdin) go to the gateway as POSTs of a session-era MCP client, and
/// everything the gateway sends (answers, progress on event streams, notifications on the GET
/// stream) comes back as lines on stdout. Nothing else is written there; `log` gets the rest.
///
/// The app's `initialize` opens the session and is remembered. When the gateway restarts or
/// forgets the session, the bridge opens a new one by replaying that handshake (the app gets
/// no second `initialize` answer) and sends the request that failed again, so the app's next
/// call just works; while the gateway is down, a request waits at most `retryTime` and then
/// gets a JSON-RPC error. Requests run concurrently, each on its own connection.
///
/// What decides is `BridgeLink`, a pure state machine; this type performs its decisions.
public final class Bridge: Sendable {
    struct State {
        var link: BridgeLink
        /// Fulfilled (and replaced) whenever the link's phase changes: what waiting requests await.
        var change = Rendezvous<Void>()
        /// The app's requests in flight, by id text, and whether the app cancelled each.
        var requests: [String: Bool] = [:]
        var listener: ListenExchange?
        /// The gateway stopped answering and that was logged; the next session is logged too.
        var outage = false
        var closing = false
    }

    static let relistenDelay: Duration = .milliseconds(500)
    static let notificationTimeout: Duration = .seconds(10)

    let configuration: BridgeConfiguration
    let requests: GatewayRequests
    let pool: HTTPConnectionPool
    private let input: Int32
    let out: LineWriter
    let log: @Sendable (String) -> Void
    let state: Mutex<State>

    /// `input` and `output` are the app's ends (stdin and stdout by default); `log` receives
    /// diagnostics for people (stderr), never the token.
    public init(_ configuration: BridgeConfiguration, input: Int32 = 0, output: Int32 = 1,
                log: @escaping @Sendable (String) -> Void) throws(BridgeError) {
        let endpoint: LoopbackEndpoint
        do throws(LoopbackEndpoint.Invalid) {
            endpoint = try LoopbackEndpoint(configuration.url)
        } catch {
            throw BridgeError.url(error)
        }
        try BridgeError.checkToken(configuration.token)
        self.configuration = configuration
        requests = GatewayRequests(endpoint: endpoint, token: configuration.token)
        pool = HTTPConnectionPool(endpoint: endpoint)
        self.input = input
        self.log = log
        state = Mutex(State(link: BridgeLink()))
        out = LineWriter(descriptor: output)
    }

    /// Bridges until the app closes stdin and every request it sent has been answered.
    public func run() async {
        let (lines, continuation) = AsyncStream.makeStream(of: LineSplitter.Line.self)
        // The app closed stdout: nothing more can reach it, so stop taking its input.
        out.whenBroken { continuation.finish() }
        LineReader.start(descriptor: input, onLine: { continuation.yield($0) }, onEnd: { continuation.finish() })
        await withDiscardingTaskGroup { group in
            for await line in lines {
                for work in receive(line) { group.addTask(operation: work) }
            }
        }
        let (session, listener) = state.withLock { state -> (BridgeLink.Session?, ListenExchange?) in
            state.closing = true
            defer { state.listener = nil }
            return (state.link.currentSession, state.listener)
        }
        listener?.stop()
        if let session { await end(session) }
        await out.flush(until: ContinuousClock.now.advanced(by: .seconds(1)))
        pool.closeAll()
    }

    // MARK: From the app

    /// Takes one line in order (so the link sees the handshake before what follows it) and
    /// returns the work it needs, to run concurrently.
    private func receive(_ line: LineSplitter.Line) -> [@Sendable () async -> Void] {
        guard case .line(let bytes) = line else {
            out.write(BridgeReplies.invalid(JSONRPCErrorObject(code: JSONRPCErrorObject.invalidRequest, message: "the line is too long")))
            return []
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            out.write(BridgeReplies.invalid(JSONRPCErrorObject(code: JSONRPCErrorObject.parseError, message: "Parse error: \(error.description)")))
            return []
        }
        // A batch goes out one message at a time: session revisions after 2025-03-26 take no batches.
        if case .array(let items) = value { return items.flatMap { receive(message: $0) } }
        return receive(message: value)
    }

    private func receive(message value: JSONValue) -> [@Sendable () async -> Void] {
        let message: JSONRPCMessage
        do {
            message = try JSONRPCMessage(value)
        } catch {
            out.write(JSONRPCMessage.error(id: value["id"].flatMap { JSONRPCMessage.isValidID($0) ? $0 : nil }, error: error).json)
            return []
        }
        switch message {
        case .request(let id, "initialize", _):
            let (generation, replaced) = update { $0.initialize(value) }
            if let replaced { retire(replaced) }
            startOpening(generation)
            return [{ await self.answerInitialize(id: id) }]
        case .request(let id, let method, _):
            state.withLock { $0.requests[id.text] = false }
            return [{ await self.forward(value, id: id, method: method) }]
        case .notification("notifications/initialized", _):
            // It goes to whichever session has not had it, now or when one opens.
            guard let session = update({ $0.appInitialized() }) else { return [] }
            return [{ await self.notify(value, session: session) }]
        case .notification("notifications/cancelled", let params):
            if let requestID = params?["requestId"] {
                state.withLock { state in
                    if state.requests[requestID.text] != nil { state.requests[requestID.text] = true }
                }
            }
            return notifyCurrent(value)
        case .notification, .response, .error:
            return notifyCurrent(value)
        }
    }

    /// A notification or a response goes to the open session, if any; one that finds none
    /// belonged to a session that is gone.
    private func notifyCurrent(_ value: JSONValue) -> [@Sendable () async -> Void] {
        let (session, unopened) = state.withLock { ($0.link.currentSession, $0.link.phase == .unopened) }
        if let session { return [{ await self.notify(value, session: session) }] }
        if unopened { return [{ await self.notify(value, session: nil) }] }
        return []
    }

    // MARK: Requests

    private func answerInitialize(id: JSONValue) async {
        await withSession(id: id) { session in
            // There is always a session to wait for once the app has sent initialize.
            guard let session else { return true }
            self.out.write(JSONRPCMessage.response(id: id, result: session.initializeResult).json)
            return true
        }
    }

    private func forward(_ value: JSONValue, id: JSONValue, method: String) async {
        defer { state.withLock { _ = $0.requests.removeValue(forKey: id.text) } }
        await withSession(id: id) { session in
            guard !self.state.withLock({ $0.requests[id.text] ?? false }) else { return true }
            let (outcome, _) = await self.post(value, requestID: id, session: session)
            switch outcome {
            case .answered(let answer):
                self.out.write(answer)
            case .notDelivered, .sessionGone:
                // The gateway never acted on it: send it again in the next session.
                if let session { self.lose(session) }
                return session == nil ? self.reply(id, self.unreached(outcome)) : false
            case .lostBeforeResponse where method != "tools/call" && session != nil:
                // Nothing came back; asking again is harmless for everything but a tool call.
                self.lose(session!)
                return false
            case .lostBeforeResponse(let reason), .lostInFlight(let reason):
                if let session { self.lose(session) }
                return self.reply(id, BridgeReplies.lostInFlight(reason))
            case .unauthorized:
                return self.reply(id, BridgeReplies.tokenRefused)
            case .rejected(let status, let error):
                return self.reply(id, BridgeReplies.httpStatus(status, error))
            case .noAnswer(let status):
                return self.reply(id, BridgeReplies.httpStatus(status, nil))
            case .accepted:
                return self.reply(id, BridgeReplies.httpStatus(202, nil))
            }
            return true
        }
    }

    /// Runs `attempt` with the session the link gives (nil before the app's `initialize`) until
    /// it returns true; waits while a session is being opened, at most `retryTime` in all, and
    /// answers the request with an error when that runs out or the link fails.
    private func withSession(id: JSONValue, _ attempt: @Sendable (BridgeLink.Session?) async -> Bool) async {
        var waitingSince: ContinuousClock.Instant?
        while true {
            let (decision, change, woken) = state.withLock { state -> (BridgeLink.Acquire, Rendezvous<Void>, Rendezvous<Void>?) in
                let before = state.link.phase
                let decision = state.link.acquire(now: .now)
                guard state.link.phase != before else { return (decision, state.change, nil) }
                let woken = state.change
                state.change = Rendezvous()
                return (decision, state.change, woken)
            }
            woken?.fulfill(())
            let wake: ContinuousClock.Instant?
            switch decision {
            case .session(let session):
                if await attempt(session) { return }
                continue
            case .noSession:
                _ = await attempt(nil)
                return
            case .open(let generation):
                startOpening(generation)
                wake = nil
            case .wait(let until):
                wake = until
            case .fail(let failure):
                reply(id, BridgeReplies.failure(failure, url: configuration.url, waited: nil))
                return
            }
            let since = waitingSince ?? .now
            waitingSince = since
            let deadline = since.advanced(by: configuration.retryTime)
            guard ContinuousClock.now < deadline else {
                let lastFailure = state.withLock { $0.link.lastFailure }
                reply(id, BridgeReplies.unreachable(url: configuration.url, waited: configuration.retryTime, lastFailure: lastFailure))
                return
            }
            _ = await change.value(until: min(deadline, wake ?? deadline))
        }
    }

    func notify(_ value: JSONValue, session: BridgeLink.Session?) async {
        let (outcome, _) = await post(value, requestID: nil, session: session,
                                      until: ContinuousClock.now.advanced(by: Self.notificationTimeout))
        switch outcome {
        case .notDelivered, .sessionGone, .lostBeforeResponse:
            if let session { lose(session) }
        default:
            break
        }
    }

    @discardableResult
    private func reply(_ id: JSONValue, _ error: JSONRPCErrorObject) -> Bool {
        out.write(BridgeReplies.error(id: id, error))
        return true
    }

    private func unreached(_ outcome: BridgePostOutcome) -> JSONRPCErrorObject {
        guard case .notDelivered(let reason) = outcome else { return BridgeReplies.httpStatus(404, nil) }
        return BridgeReplies.failure(.unreachable(reason), url: configuration.url, waited: nil)
    }

    // MARK: HTTP

    /// POSTs one message; `forward` sends what comes with the answer (progress, notifications)
    /// to the app. Returns the outcome and the session id the gateway assigned, if any.
    func post(_ message: JSONValue, requestID: JSONValue?, session: BridgeLink.Session?,
              until deadline: ContinuousClock.Instant = BackendCore.deadline(after: .seconds(366 * 86_400)),
              forward: Bool = true) async -> (BridgePostOutcome, String?) {
        let out = out
        let sink: @Sendable (JSONValue) -> Void
        if forward { sink = { message in out.write(message) } } else { sink = { _ in } }
        let exchange = BridgeExchange(requestID: requestID, sentSessionID: session?.id != nil, forward: sink)
        if let reason = pool.send(requests.post(message, session: session), exchange, register: exchange.track) {
            return (.notDelivered(reason), nil)
        }
        guard let outcome = await exchange.done.value(until: deadline) else {
            exchange.abort()
            return (.lostBeforeResponse("no answer within the time allowed"), nil)
        }
        return (outcome, exchange.sessionID)
    }

    // MARK: State

    /// Changes the link; a change of phase wakes every request waiting for one.
    func update<T>(_ body: (inout BridgeLink) -> T) -> T {
        let (result, woken) = state.withLock { state -> (T, Rendezvous<Void>?) in
            let before = state.link.phase
            let result = body(&state.link)
            guard state.link.phase != before else { return (result, nil) }
            defer { state.change = Rendezvous() }
            return (result, state.change)
        }
        woken?.fulfill(())
        return result
    }

    static let initialized: JSONValue = JSONRPCMessage.notification(method: "notifications/initialized", params: nil).json

    static func protocolError(_ message: String) -> JSONRPCErrorObject {
        JSONRPCErrorObject(code: JSONRPCErrorObject.internalError, message: message)
    }
}
