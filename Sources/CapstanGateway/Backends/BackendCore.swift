import Synchronization

/// What the stdio and HTTP backends share: the calls in flight, the id counter, the list
/// cache, and the routing of everything the server sends. Transport-free: a backend hands in
/// each message the server sent and a way to transmit.
final class BackendCore: Sendable {
    let server: String
    let table: CallTable
    let lists = ListCache()
    /// Ids the gateway gives its requests to this server; never reused, across sessions too, so
    /// a late answer from an old session can never be taken for a new request's.
    private let ids = Atomic<Int>(0)
    private let notificationHandlers = Mutex<[@Sendable (JSONRPCMessage) -> Void]>([])

    init(server: String) {
        self.server = server
        table = CallTable(server: server)
    }

    func nextID() -> Int { ids.add(1, ordering: .relaxed).newValue }

    /// `timeout` from now, bounded so the clock arithmetic cannot overflow: a year is as good
    /// as no timeout.
    static func deadline(after timeout: Duration) -> ContinuousClock.Instant {
        ContinuousClock.now.advanced(by: min(timeout, .seconds(366 * 86_400)))
    }

    /// Sends one request under `id` (default: a fresh one) and waits for its outcome.
    /// `transmit` gets the id and the request as the server must see it.
    func call(id: Int? = nil, method: String, params: JSONValue?, callerID: JSONValue, timeout: Duration, generation: Int,
              onNotification: @escaping @Sendable (JSONRPCMessage) -> Void,
              transmit: (Int, JSONValue) -> CallFailure?) async -> (id: Int, outcome: Result<JSONRPCMessage, CallFailure>) {
        let id = id ?? nextID()
        let (message, callerToken) = BackendMessages.outgoing(method: method, params: params, id: id)
        let outcome = await table.perform(id: id, generation: generation, callerID: callerID, callerToken: callerToken,
                                          timeout: timeout, onNotification: onNotification) {
            transmit(id, message.json)
        }
        return (id, outcome)
    }

    /// Routes one message from the server. Returns the reply the server must get, if any.
    func receive(_ message: JSONRPCMessage) -> JSONRPCMessage? {
        switch BackendMessages.classify(message) {
        case .answer(let id, let answer):
            table.answer(id, answer)
        case .progress(let token, let params):
            table.progress(token: token, params: params)
        case .request(let reply):
            return reply
        case .listChanged(let kinds):
            lists.changed(kinds)
        case .notification(let notification):
            for handler in notificationHandlers.withLock({ $0 }) { handler(notification) }
        case .ignored:
            break
        }
        return nil
    }

    func onServerNotification(_ handler: @escaping @Sendable (JSONRPCMessage) -> Void) {
        notificationHandlers.withLock { $0.append(handler) }
    }

    /// Every page of a list, through `request` (one request, its answer).
    static func fetchAll(_ kind: ListKind, server: String,
                         request: (String, JSONValue?) async throws(BackendError) -> JSONRPCMessage) async throws(BackendError) -> [JSONValue] {
        var items: [JSONValue] = []
        var cursor: String?
        var seen: Set<String> = []
        repeat {
            let answer = try await request(kind.method, BackendMessages.listParams(cursor: cursor))
            let page = try BackendMessages.listPage(answer, kind: kind, server: server)
            items += page.items
            cursor = page.next
            if let cursor, !seen.insert(cursor).inserted {
                throw .protocolViolation(server: server, reason: "\(kind.method) repeated the cursor \(cursor)")
            }
        } while cursor != nil
        return items
    }
}
