import Synchronization

/// Sessions of the session revisions (2024-11-05 to 2025-11-25), made by `initialize` and named
/// by `Mcp-Session-Id`. A session belongs to the client that opened it: another token presenting
/// its id is treated as if the session did not exist.
final class SessionStore: Sendable {
    struct Session: Sendable {
        var id: String
        var client: String
        var revision: ProtocolRevision
        var lastSeen: ContinuousClock.Instant
        /// Requests in flight, by the client's id text, so `notifications/cancelled` can stop them.
        var inFlight: [String: Task<JSONRPCMessage, Never>] = [:]
        /// Change subscriptions of the session's GET streams, ended with the session.
        var listeners: [UInt64] = []
    }

    static let maxSessions = 10_000
    static let idleLimit = Duration.seconds(3600)

    private let sessions = Mutex<[String: Session]>([:])

    /// A new session, or nil when the store is full even after dropping idle sessions.
    func create(client: String, revision: ProtocolRevision) -> Session? {
        let id = Self.newID()
        let now = ContinuousClock.now
        return sessions.withLock { sessions -> Session? in
            if sessions.count >= Self.maxSessions {
                sessions = sessions.filter { now - $0.value.lastSeen < Self.idleLimit }
                if sessions.count >= Self.maxSessions { return nil }
            }
            let session = Session(id: id, client: client, revision: revision, lastSeen: now)
            sessions[id] = session
            return session
        }
    }

    func lookup(_ id: String, client: String) -> Session? {
        sessions.withLock { sessions -> Session? in
            guard var session = sessions[id], session.client == client else { return nil }
            session.lastSeen = .now
            sessions[id]?.lastSeen = session.lastSeen
            return session
        }
    }

    /// Ends a session: its requests in flight are cancelled; returns its listeners to end, or
    /// nil when there was no such session of this client.
    func remove(_ id: String, client: String) -> [UInt64]? {
        let removed = sessions.withLock { sessions -> Session? in
            guard sessions[id]?.client == client else { return nil }
            return sessions.removeValue(forKey: id)
        }
        removed?.inFlight.values.forEach { $0.cancel() }
        return removed?.listeners
    }

    func attachListener(_ id: String, _ listener: UInt64) {
        sessions.withLock { $0[id]?.listeners.append(listener) }
    }

    var count: Int { sessions.withLock { $0.count } }

    func track(_ session: String, request: String, task: Task<JSONRPCMessage, Never>) {
        sessions.withLock { $0[session]?.inFlight[request] = task }
    }

    func untrack(_ session: String, request: String) {
        sessions.withLock { _ = $0[session]?.inFlight.removeValue(forKey: request) }
    }

    func cancel(_ session: String, request: String) {
        let task = sessions.withLock { $0[session]?.inFlight[request] }
        task?.cancel()
    }

    /// 128 random bits, hex: visible ASCII as the specification requires, unguessable.
    static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        let hex = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        for _ in 0..<2 {
            var word = generator.next() as UInt64
            for _ in 0..<16 {
                bytes.append(hex[Int(word & 0xF)])
                word >>= 4
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
