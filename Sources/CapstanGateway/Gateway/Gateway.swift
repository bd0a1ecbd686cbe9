import CapstanAudit
import CapstanCore
import Crypto
import Logging
import Synchronization

/// The MCP gateway's core, independent of HTTP: the route table, the backends it points to, who
/// is listening for list changes, and the handling of one client message. The HTTP layer
/// (`GatewayHTTP`) authenticates, frames and streams; everything it needs to decide is here.
public final class Gateway: Sendable {
    public static let serverName = "capstan-gateway"

    struct State {
        var routes: VersionedRouteTable
        /// `sha256:<hex>` of a token → the client holding it.
        var clientsByTokenHash: [String: RouteClient]
    }

    let state: Mutex<State>
    let pool: BackendPool
    let auditor: any CallAuditor
    let changes = ChangeHub()
    let catalogFailures = CatalogFailures()
    let logger: Logger
    let version: String
    /// Called after every accepted route replacement, e.g. to persist the table.
    let onRoutesReplaced: @Sendable (VersionedRouteTable) -> Void

    public init(initialRoutes: VersionedRouteTable = VersionedRouteTable(generation: 0, table: RouteTable()),
                auditor: any CallAuditor, version: String = "0",
                logger: Logger = Logger(label: "capstan.gateway"),
                onRoutesReplaced: @escaping @Sendable (VersionedRouteTable) -> Void = { _ in },
                backendFactory: @escaping @Sendable (RouteServer) -> any MCPBackend) {
        self.state = Mutex(State(routes: initialRoutes, clientsByTokenHash: Self.index(initialRoutes.table)))
        self.auditor = auditor
        self.version = version
        self.logger = logger
        self.onRoutesReplaced = onRoutesReplaced
        self.pool = BackendPool(factory: backendFactory)
        _ = pool.update(initialRoutes.table.servers, listChanged: backendListChanged)
    }

    /// A backend's list changed: tell the listeners whose client can see that server.
    private var backendListChanged: @Sendable (String, ListKind) -> Void {
        { [weak self] server, kind in
            guard let self else { return }
            changes.backendListChanged(server: server, kind: kind, routes: routes.table)
        }
    }

    // MARK: Routes

    public var routes: VersionedRouteTable { state.withLock { $0.routes } }

    /// Replaces the route table when `ifMatch` names the current generation (or is nil).
    /// Connected clients stay connected; those whose view changed are told so.
    public func replace(_ table: RouteTable, ifMatch: Int?) async throws(RouteConflict) -> VersionedRouteTable {
        let (old, new) = try state.withLock { state throws(RouteConflict) -> (VersionedRouteTable, VersionedRouteTable) in
            if let ifMatch, ifMatch != state.routes.generation { throw RouteConflict(current: state.routes.generation) }
            let old = state.routes
            guard old.table != table else { return (old, old) }
            state.routes = VersionedRouteTable(generation: old.generation + 1, table: table)
            state.clientsByTokenHash = Self.index(table)
            return (old, state.routes)
        }
        guard old.generation != new.generation else { return new }
        let retired = pool.update(table.servers, listChanged: backendListChanged)
        changes.routesReplaced(old: old.table, new: table)
        onRoutesReplaced(new)
        logger.info("routes replaced", metadata: ["generation": "\(new.generation)", "servers": "\(table.servers.count)",
                                                  "clients": "\(table.clients.count)"])
        for backend in retired { await backend.close() }
        return new
    }

    static func index(_ table: RouteTable) -> [String: RouteClient] {
        Dictionary(table.clients.map { ($0.tokenHash, $0) }, uniquingKeysWith: { first, _ in first })
    }

    // MARK: Clients

    /// The client whose token hash matches; nil for anything else. Tokens are hashed before the
    /// lookup, so the table never holds one and timing reveals nothing about stored hashes.
    public func authenticate(token: String) -> RouteClient? {
        let hash = Self.tokenHash(token)
        return state.withLock { $0.clientsByTokenHash[hash] }
    }

    public static func tokenHash(_ token: String) -> String {
        "sha256:" + sha256Hex(token.utf8)
    }

    /// The current definition of a client (rules may have changed since it authenticated).
    func client(named name: String) -> RouteClient? {
        state.withLock { $0.routes.table.client(named: name) }
    }

    func route(_ server: String) -> RouteServer? {
        state.withLock { $0.routes.table.server(named: server) }
    }

    /// Ends every open event stream (GET streams, `subscriptions/listen`), so a graceful
    /// shutdown does not wait for clients that would hold them open forever.
    public func endStreams() {
        changes.finishAll()
    }

    public func shutdown() async {
        changes.finishAll()
        await pool.closeAll()
    }
}

/// `PUT /admin/routes` named a generation that is no longer current.
public struct RouteConflict: Error, Sendable, Equatable {
    public var current: Int
}

/// The embedded gateway is its controller's route store: no admin API in between.
extension Gateway: RouteStore {
    public func currentRoutes() async throws -> VersionedRouteTable { routes }

    public func replaceRoutes(_ table: RouteTable, ifMatch: Int) async throws -> VersionedRouteTable {
        try await replace(table, ifMatch: ifMatch)
    }
}
