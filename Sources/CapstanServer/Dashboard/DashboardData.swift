import CapstanAudit
import CapstanCore
import Foundation

/// What the dashboard reads besides the controller's status: the gateway's routes and tools and
/// the audit store. The executable wires it to the embedded gateway and the state directory's
/// store; tests can wire it to anything.
public protocol DashboardData: Sendable {
    /// The routes the gateway enforces; nil when this controller runs no gateway.
    func routes() async -> RouteTable?
    /// What each routed server offers, as the gateway last learned it.
    func toolCatalog() async -> [ServerTools]
    func runHistory(limit: Int, includeNoop: Bool) async throws -> [AuditRunHistory]
    /// Calls in chronological order, the newest `limit` of those matching.
    func calls(client: String?, server: String?, tool: String?, decision: AuditToolCall.Decision?,
               since: Date?, limit: Int) async throws -> [AuditToolCall]
    func callStats(client: String?, server: String?, tool: String?, decision: AuditToolCall.Decision?,
                   since: Date?) async throws -> [AuditCallStats]
}

/// The audit store and, when there is one, the gateway's view.
public struct StoreDashboardData: DashboardData {
    let store: AuditStore
    let currentRoutes: @Sendable () async -> RouteTable?
    let catalog: @Sendable () async -> [ServerTools]

    public init(store: AuditStore, routes: @escaping @Sendable () async -> RouteTable?,
                catalog: @escaping @Sendable () async -> [ServerTools]) {
        self.store = store
        self.currentRoutes = routes
        self.catalog = catalog
    }

    public func routes() async -> RouteTable? { await currentRoutes() }
    public func toolCatalog() async -> [ServerTools] { await catalog() }

    public func runHistory(limit: Int, includeNoop: Bool) async throws -> [AuditRunHistory] {
        try await store.runHistory(limit: limit, includeNoop: includeNoop)
    }

    public func calls(client: String?, server: String?, tool: String?, decision: AuditToolCall.Decision?,
                      since: Date?, limit: Int) async throws -> [AuditToolCall] {
        try await store.calls(client: client, server: server, tool: tool, decision: decision, since: since, limit: limit)
            .compactMap { entry in
                if case .call(let call) = entry.record { return call }
                return nil
            }
    }

    public func callStats(client: String?, server: String?, tool: String?, decision: AuditToolCall.Decision?,
                          since: Date?) async throws -> [AuditCallStats] {
        try await store.callStats(client: client, server: server, tool: tool, decision: decision, since: since)
    }
}
