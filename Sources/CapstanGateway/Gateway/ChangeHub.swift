import CapstanCore
import Synchronization

/// Who is listening for list changes (a session's GET stream, a 2026-07-28 `subscriptions/listen`)
/// and which of them a change concerns: a client hears about a list only when what it may see
/// in that list changed.
final class ChangeHub: Sendable {
    /// The lists a client can be told about: resource templates change with resources.
    static let announced: [ListKind] = [.tools, .prompts, .resources]

    private struct Subscriber {
        var client: String
        var continuation: AsyncStream<ListKind>.Continuation
    }

    private struct State {
        var next: UInt64 = 0
        var subscribers: [UInt64: Subscriber] = [:]
    }

    private let state = Mutex(State())

    func subscribe(client: String) -> (id: UInt64, changes: AsyncStream<ListKind>) {
        let (stream, continuation) = AsyncStream.makeStream(of: ListKind.self, bufferingPolicy: .bufferingNewest(16))
        let id = state.withLock { state -> UInt64 in
            state.next += 1
            state.subscribers[state.next] = Subscriber(client: client, continuation: continuation)
            return state.next
        }
        continuation.onTermination = { [weak self] _ in self?.unsubscribe(id) }
        return (id, stream)
    }

    func unsubscribe(_ id: UInt64) {
        let removed = state.withLock { $0.subscribers.removeValue(forKey: id) }
        removed?.continuation.finish()
    }

    var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    func routesReplaced(old: RouteTable, new: RouteTable) {
        notify { client in
            Self.announced.filter { kind in
                Self.signature(old, old.client(named: client), kind) != Self.signature(new, new.client(named: client), kind)
            }
        }
    }

    func backendListChanged(server: String, kind: ListKind, routes: RouteTable) {
        let announced: ListKind = kind == .resourceTemplates ? .resources : kind
        notify { client in
            guard let c = routes.client(named: client), Access.mayReach(c, server: server, kind: Self.access(announced)) else { return [] }
            return [announced]
        }
    }

    func finishAll() {
        let all = state.withLock { state -> [Subscriber] in
            defer { state.subscribers.removeAll() }
            return Array(state.subscribers.values)
        }
        for s in all { s.continuation.finish() }
    }

    private func notify(_ kinds: (String) -> [ListKind]) {
        let subscribers = state.withLock { Array($0.subscribers.values) }
        var byClient: [String: [ListKind]] = [:]
        for s in subscribers {
            let changed = byClient[s.client] ?? kinds(s.client)
            byClient[s.client] = changed
            for kind in changed { s.continuation.yield(kind) }
        }
    }

    static func access(_ kind: ListKind) -> AccessKind {
        switch kind {
        case .tools: .tool
        case .prompts: .prompt
        case .resources, .resourceTemplates: .resource
        }
    }

    /// Everything that decides a client's view of one kind of list.
    static func signature(_ table: RouteTable, _ client: RouteClient?, _ kind: ListKind) -> String {
        guard let client else { return "" }
        let access = access(kind)
        var parts: [String] = []
        for server in table.servers where Access.mayReach(client, server: server.name, kind: access) {
            parts.append("\(server.name)|\(server.transport)|\(server.container ?? "")|\(server.url ?? "")")
            for rule in client.rules where rule.server == "*" || rule.server == server.name {
                parts.append("\(rule.effect):\(rule.patterns(for: access).joined(separator: ","))")
            }
        }
        return parts.joined(separator: "\n")
    }
}
