import CapstanCore
import Synchronization

/// One backend per routed server, kept across route replacements while the server's endpoint is
/// unchanged (so a policy edit never drops a backend session), replaced when it moves.
final class BackendPool: Sendable {
    typealias Factory = @Sendable (RouteServer) -> any MCPBackend

    private struct Entry {
        var route: RouteServer
        var backend: any MCPBackend
    }

    private let factory: Factory
    private let entries = Mutex<[String: Entry]>([:])

    init(factory: @escaping Factory) {
        self.factory = factory
    }

    func backend(_ server: String) -> (any MCPBackend)? {
        entries.withLock { $0[server]?.backend }
    }

    /// Creates backends for new or moved servers and returns the ones to close (removed or moved).
    /// `listChanged` hears from each new backend when one of its lists changes.
    func update(_ servers: [RouteServer], listChanged: @escaping @Sendable (String, ListKind) -> Void) -> [any MCPBackend] {
        var created: [(String, any MCPBackend)] = []
        let retired = entries.withLock { entries -> [any MCPBackend] in
            var retired: [any MCPBackend] = []
            let wanted = Set(servers.map(\.name))
            for (name, entry) in entries where !wanted.contains(name) {
                retired.append(entry.backend)
                entries[name] = nil
            }
            for server in servers {
                if let entry = entries[server.name], Self.sameEndpoint(entry.route, server) {
                    entries[server.name]?.route = server
                    continue
                }
                if let old = entries[server.name] { retired.append(old.backend) }
                let backend = factory(server)
                entries[server.name] = Entry(route: server, backend: backend)
                created.append((server.name, backend))
            }
            return retired
        }
        for (name, backend) in created {
            backend.onListChanged { kind in listChanged(name, kind) }
        }
        return retired
    }

    func closeAll() async {
        let all = entries.withLock { entries -> [any MCPBackend] in
            defer { entries.removeAll() }
            return entries.values.map(\.backend)
        }
        for backend in all { await backend.close() }
    }

    static func sameEndpoint(_ a: RouteServer, _ b: RouteServer) -> Bool {
        a.transport == b.transport && a.container == b.container && a.url == b.url
    }
}
