/// Where the gateway's routes live: the gateway in this process, or one reached through its
/// admin API. The reconciler reads them to plan and replaces them to apply.
public protocol RouteStore: Sendable {
    func currentRoutes() async throws -> VersionedRouteTable
    /// Replaces the table if the gateway still holds generation `ifMatch`.
    func replaceRoutes(_ table: RouteTable, ifMatch: Int) async throws -> VersionedRouteTable
}
