import CapstanAudit
import CapstanCore
@testable import CapstanGateway
import Synchronization
import Testing

/// A call that times out is reported with the server's timeout as the manifest set it, not with
/// whatever was left of it when the request reached the backend (found by the reliability
/// scenarios: a `timeout: 3s` server failed calls "within 2.99080398 seconds").
struct CallTimeoutMessageTests {
    /// Takes a while to list its tools (so the call's budget is partly spent before it is sent),
    /// then never answers: it fails the call with the budget it was given, as the real backends do.
    final class SilentBackend: MCPBackend {
        let server = "silent"
        let given = Mutex<Duration?>(nil)

        func send(_ request: JSONRPCMessage, timeout: Duration,
                  onNotification: @escaping @Sendable (JSONRPCMessage) -> Void) async throws(BackendError) -> JSONRPCMessage {
            given.withLock { $0 = timeout }
            throw .timeout(server: "silent", after: timeout)
        }

        func list(_ kind: ListKind) async throws(BackendError) -> [JSONValue] {
            try? await Task.sleep(for: .milliseconds(20))
            return kind == .tools ? [.object(["name": .string("wait"), "inputSchema": .object(["type": .string("object")])])] : []
        }

        func cachedList(_ kind: ListKind) -> [JSONValue]? { nil }
        func serverCapabilities() async throws(BackendError) -> JSONObject { [:] }
        func onListChanged(_ handler: @escaping @Sendable (ListKind) -> Void) {}
        func close() async {}
    }

    /// The budget is generous because nothing waits it out (the backend fails at once): with
    /// 3 s, a test run starved on two cores spent it before the call was even sent.
    @Test func aTimedOutCallNamesTheServersTimeoutToTheCallerAndTheAudit() async throws {
        let backend = SilentBackend()
        let auditor = RecordingAuditor()
        let table = RouteTable(
            servers: [RouteServer(name: "silent", transport: .stdio, container: "c-silent", timeoutMilliseconds: 30_000)],
            clients: [RouteClient(name: "alice", tokenHash: Gateway.tokenHash(GatewayFixture.aliceToken),
                                  rules: [GatewayFixture.rule("silent", ["*"])])])
        let gateway = Gateway(initialRoutes: VersionedRouteTable(generation: 1, table: table), auditor: auditor) { _ in backend }

        let answer = await gateway.handle(id: .int(1), method: "tools/call",
                                          params: .object(["name": .string("silent__wait"), "arguments": .object([:])]),
                                          context: CallContext(client: "alice", revision: .v2025_11_25), emit: { _ in })

        let given = try #require(backend.given.withLock { $0 })
        #expect(given < .seconds(30), "the backend gets what is left of the timeout")
        guard case .error(_, let error) = answer else {
            Issue.record("expected an error, got \(answer)")
            return
        }
        #expect(error.message == "server silent did not answer within 30.0 seconds")
        let calls = await auditor.calls
        #expect(calls.map(\.outcome) == [.timeout])
        #expect(calls.first?.error == "server silent did not answer within 30.0 seconds")
    }
}
