import CapstanCore
@testable import CapstanGateway
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The admin API replaces routes atomically by generation, and route changes reach exactly the
/// listeners whose view changed.
struct AdminAndRoutesTests {
    static let adminToken = "admin-token-0123456789"

    static func withAdmin(_ gateway: Gateway, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let server = try GatewayServer(gateway: gateway, configuration: GatewayConfiguration(port: 0),
                                       admin: .loopback(host: "127.0.0.1", port: 0, token: adminToken))
        try await server.makeAdminApplication()!.test(.router) { client in try await body(client) }
    }

    static func put(_ client: any TestClientProtocol, _ table: RouteTable, ifMatch: String?, token: String = adminToken) async throws -> TestResponse {
        var headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
        if let ifMatch { headers[.ifMatch] = ifMatch }
        return try await client.execute(uri: "/admin/routes", method: .put, headers: headers,
                                        body: ByteBuffer(bytes: try JSONEncoder().encode(table)))
    }

    @Test func routesAreReadWithAGenerationAndReplacedOnlyAgainstTheCurrentOne() async throws {
        let gateway = GatewayFixture.gateway(RecordingAuditor())
        try await Self.withAdmin(gateway) { client in
            let get = try await client.execute(uri: "/admin/routes", method: .get, headers: [.authorization: "Bearer \(Self.adminToken)"])
            #expect(get.status == .ok && get.headers[.eTag] == "\"1\"")
            let read = try JSONDecoder().decode(VersionedRouteTable.self, from: Data(get.body.readableBytesView))
            #expect(read.table == GatewayFixture.table)

            var table = GatewayFixture.table
            table.clients.removeLast()
            let noIfMatch = try await Self.put(client, table, ifMatch: nil)
            #expect(noIfMatch.status == .preconditionRequired)
            let stale = try await Self.put(client, table, ifMatch: "\"0\"")
            #expect(stale.status == .preconditionFailed && stale.headers[.eTag] == "\"1\"")
            let ok = try await Self.put(client, table, ifMatch: "\"1\"")
            #expect(ok.status == .ok && ok.headers[.eTag] == "\"2\"")
            #expect(gateway.routes.table.clients.map(\.name) == ["alice"])
            #expect(gateway.authenticate(token: GatewayFixture.bobToken) == nil)
            let unchanged = try await Self.put(client, table, ifMatch: "\"2\"")
            #expect(unchanged.headers[.eTag] == "\"2\"")  // the same table keeps its generation
        }
    }

    @Test func theAdminAPINeedsItsTokenOnTCP() async throws {
        try await Self.withAdmin(GatewayFixture.gateway(RecordingAuditor())) { client in
            let anonymous = try await client.execute(uri: "/admin/routes", method: .get)
            #expect(anonymous.status == .unauthorized)
            let clientToken = try await Self.put(client, RouteTable(), ifMatch: "*", token: GatewayFixture.aliceToken)
            #expect(clientToken.status == .unauthorized)
        }
    }

    @Test func aPolicyChangeNotifiesOnlyTheClientsWhoseViewChanged() async throws {
        let gateway = GatewayFixture.gateway(RecordingAuditor())
        let alice = gateway.changes.subscribe(client: "alice")
        let bob = gateway.changes.subscribe(client: "bob")
        var table = GatewayFixture.table
        table.clients[0].rules.removeLast(2)  // alice loses the deny and the prompts
        _ = try await gateway.replace(table, ifMatch: 1)
        gateway.changes.unsubscribe(alice.id)
        gateway.changes.unsubscribe(bob.id)
        var aliceKinds: [ListKind] = []
        for await kind in alice.changes { aliceKinds.append(kind) }
        var bobKinds: [ListKind] = []
        for await kind in bob.changes { bobKinds.append(kind) }
        #expect(aliceKinds == [.tools, .prompts])
        #expect(bobKinds.isEmpty)
    }

    @Test func aBackendListChangeReachesTheClientsThatCanSeeThatServer() async throws {
        let backends = GatewayFixture.backends
        let gateway = GatewayFixture.gateway(RecordingAuditor(), backends: backends)
        let alice = gateway.changes.subscribe(client: "alice")
        let bob = gateway.changes.subscribe(client: "bob")
        backends["time"]!.announce(.tools)
        gateway.changes.unsubscribe(alice.id)
        gateway.changes.unsubscribe(bob.id)
        var aliceKinds: [ListKind] = []
        for await kind in alice.changes { aliceKinds.append(kind) }
        var bobKinds: [ListKind] = []
        for await kind in bob.changes { bobKinds.append(kind) }
        #expect(aliceKinds.isEmpty && bobKinds == [.tools])
    }
}
