import CapstanAudit
import CapstanCore
@testable import CapstanGateway
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization

/// A backend answering from memory: a unit-test stand-in. The gateway's integration with real
/// MCP servers in containers is tested end to end in Tests/e2e.
final class FakeBackend: MCPBackend {
    let server: String
    let items: [ListKind: [JSONValue]]
    let calls = Mutex<[JSONRPCMessage]>([])
    let handlers = Mutex<[@Sendable (ListKind) -> Void]>([])

    init(server: String, tools: [String], prompts: [String] = [], resources: [String] = []) {
        self.server = server
        items = [
            .tools: tools.map { .object(["name": .string($0), "inputSchema": .object(["type": .string("object")])]) },
            .prompts: prompts.map { .object(["name": .string($0)]) },
            .resources: resources.map { .object(["uri": .string($0), "name": .string($0)]) },
        ]
    }

    func send(_ request: JSONRPCMessage, timeout: Duration,
              onNotification: @escaping @Sendable (JSONRPCMessage) -> Void) async throws(BackendError) -> JSONRPCMessage {
        calls.withLock { $0.append(request) }
        guard case .request(let id, _, let params) = request else { throw .protocolViolation(server: server, reason: "not a request") }
        if let token = params?["_meta"]?["progressToken"] {
            onNotification(.notification(method: "notifications/progress", params: .object(["progressToken": token, "progress": .int(1)])))
        }
        let name = params?["name"]?.stringValue ?? ""
        if name == "fail" { return .response(id: id, result: .object(["content": .array([]), "isError": .bool(true)])) }
        let text = "\(server).\(name) \(params?["arguments"]?.text ?? "{}")"
        return .response(id: id, result: .object(["content": .array([.object(["type": .string("text"), "text": .string(text)])])]))
    }

    func list(_ kind: ListKind) async throws(BackendError) -> [JSONValue] { items[kind] ?? [] }
    func cachedList(_ kind: ListKind) -> [JSONValue]? { items[kind] }
    func serverCapabilities() async throws(BackendError) -> JSONObject { [:] }
    func onListChanged(_ handler: @escaping @Sendable (ListKind) -> Void) { handlers.withLock { $0.append(handler) } }
    func close() async {}

    func announce(_ kind: ListKind) { for h in handlers.withLock({ $0 }) { h(kind) } }
}

actor RecordingAuditor: CallAuditor {
    private(set) var calls: [AuditToolCall] = []
    func record(_ call: AuditToolCall) async { calls.append(call) }
}

enum GatewayFixture {
    static let aliceToken = "alice-token-0123456789"
    static let bobToken = "bob-token-0123456789"

    static func rule(_ server: String, _ tools: [String], _ effect: RouteRule.Effect = .allow, prompts: [String] = []) -> RouteRule {
        RouteRule(server: server, tools: tools, prompts: prompts, effect: effect, policy: "p")
    }

    static var table: RouteTable {
        RouteTable(
            servers: [RouteServer(name: "weather", transport: .stdio, container: "c-weather", timeoutMilliseconds: 1000),
                      RouteServer(name: "time", transport: .stdio, container: "c-time", timeoutMilliseconds: 1000)],
            clients: [RouteClient(name: "alice", tokenHash: Gateway.tokenHash(aliceToken),
                                  rules: [rule("weather", ["*"]), rule("weather", ["delete_*"], .deny), rule("weather", [], prompts: ["*"])]),
                      RouteClient(name: "bob", tokenHash: Gateway.tokenHash(bobToken), rules: [rule("time", ["get_*"])])])
    }

    /// New for each gateway: tests run in parallel, and a list change announced on a shared
    /// backend reached every gateway built on it (one test's `announce` became another's surprise).
    static var backends: [String: FakeBackend] { [
        "weather": FakeBackend(server: "weather", tools: ["get_forecast", "get_alerts", "delete_cache"], prompts: ["brief"]),
        "time": FakeBackend(server: "time", tools: ["get_current_time", "convert_time"]),
    ] }

    static func gateway(_ auditor: RecordingAuditor, table: RouteTable = table,
                        backends: [String: FakeBackend] = backends) -> Gateway {
        Gateway(initialRoutes: VersionedRouteTable(generation: 1, table: table), auditor: auditor) { route in
            backends[route.name] ?? FakeBackend(server: route.name, tools: [])
        }
    }

    static func name(_ text: String) -> HTTPField.Name { HTTPField.Name(text)! }
}

/// Requests as MCP clients send them.
struct MCPClient {
    let client: any TestClientProtocol
    var token: String?
    var session: String?
    var version: String?

    func post(_ body: String, extra: HTTPFields = [:]) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json", .accept: "application/json, text/event-stream"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        if let session { headers[GatewayFixture.name("Mcp-Session-Id")] = session }
        if let version { headers[GatewayFixture.name("MCP-Protocol-Version")] = version }
        headers.append(contentsOf: extra)
        return try await client.execute(uri: "/mcp", method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    /// `initialize` then `notifications/initialized`; returns a client bound to the session.
    func initialized(version: String = "2025-06-18") async throws -> MCPClient {
        let response = try await post(#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"\#(version)","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#)
        var bound = self
        bound.session = response.headers[GatewayFixture.name("Mcp-Session-Id")]
        bound.version = version
        _ = try await bound.post(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        return bound
    }
}

func json(_ response: TestResponse) throws -> JSONValue {
    try JSONParser.parse(Array(response.body.readableBytesView))
}
