/// What the stdio and http backends share once they have a session: lists fetched through
/// their own `send` and cached, the server's capabilities, list-change handlers.
protocol SessionBackend: MCPBackend, SessionOwner {
    var core: BackendCore { get }
    var sessions: SessionKeeper<Session> { get }
    var requestTimeout: Duration { get }
}

extension SessionBackend {
    public func list(_ kind: ListKind) async throws(BackendError) -> [JSONValue] {
        let session = try await sessions.session(for: self, until: BackendCore.deadline(after: requestTimeout), timeout: requestTimeout)
        guard BackendMessages.offers(kind, initializeResult: session.initializeResult) else { return [] }
        let server = server, timeout = requestTimeout
        return try await core.lists.items(kind) { kind in
            do throws(BackendError) {
                return .success(try await BackendCore.fetchAll(kind, server: server) { method, params throws(BackendError) in
                    try await self.send(.request(id: .int(0), method: method, params: params), timeout: timeout) { _ in }
                })
            } catch {
                return .failure(error)
            }
        }
    }

    public func serverCapabilities() async throws(BackendError) -> JSONObject {
        try await sessions.session(for: self, until: BackendCore.deadline(after: requestTimeout), timeout: requestTimeout).initializeResult
    }

    public func cachedList(_ kind: ListKind) -> [JSONValue]? {
        core.lists.cached(kind)
    }

    public func onListChanged(_ handler: @escaping @Sendable (ListKind) -> Void) {
        core.lists.onChange(handler)
    }
}
