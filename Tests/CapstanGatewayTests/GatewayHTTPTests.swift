import CapstanAudit
import CapstanCore
@testable import CapstanGateway
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The client endpoint's HTTP and JSON-RPC behaviour for each protocol revision, with backends
/// from memory.
struct GatewayHTTPTests {
    static func withGateway(_ auditor: RecordingAuditor = RecordingAuditor(), gateway: Gateway? = nil,
                            _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let server = try GatewayServer(gateway: gateway ?? GatewayFixture.gateway(auditor),
                                       configuration: GatewayConfiguration(port: 0), admin: nil)
        try await server.makeMCPApplication().test(.router) { client in try await body(client) }
    }

    @Test func noTokenOrAWrongTokenGets401WithAChallenge() async throws {
        try await Self.withGateway { client in
            let none = try await MCPClient(client: client).post(#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)
            #expect(none.status == .unauthorized)
            #expect(none.headers[.wwwAuthenticate] == #"Bearer realm="capstan-gateway""#)
            let wrong = try await MCPClient(client: client, token: "nope").post(#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)
            #expect(wrong.status == .unauthorized)
            #expect(wrong.headers[.wwwAuthenticate]?.contains(#"error="invalid_token""#) == true)
        }
    }

    @Test func eachClientSeesOnlyTheToolsItsPoliciesAllowRenamedByServer() async throws {
        try await Self.withGateway { client in
            let alice = try await MCPClient(client: client, token: GatewayFixture.aliceToken).initialized()
            let aliceTools = try json(try await alice.post(#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#))
            #expect(aliceTools["result"]?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["weather__get_forecast", "weather__get_alerts"])
            let bob = try await MCPClient(client: client, token: GatewayFixture.bobToken).initialized()
            let bobTools = try json(try await bob.post(#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#))
            #expect(bobTools["result"]?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["time__get_current_time"])
            let prompts = try json(try await bob.post(#"{"jsonrpc":"2.0","id":3,"method":"prompts/list"}"#))
            #expect(prompts["result"]?["prompts"]?.arrayValue?.isEmpty == true)
            let alicePrompts = try json(try await alice.post(#"{"jsonrpc":"2.0","id":3,"method":"prompts/list"}"#))
            #expect(alicePrompts["result"]?["prompts"]?.arrayValue?.first?["name"] == .string("weather__brief"))
        }
    }

    @Test func allowedCallsReachTheBackendWithTheOriginalNameAndDeniedOnesAreRefusedAndAudited() async throws {
        let auditor = RecordingAuditor()
        try await Self.withGateway(auditor) { client in
            let alice = try await MCPClient(client: client, token: GatewayFixture.aliceToken).initialized()
            let ok = try json(try await alice.post(#"{"jsonrpc":"2.0","id":"x","method":"tools/call","params":{"name":"weather__get_alerts","arguments":{"state":"CA"}}}"#))
            #expect(ok["id"] == .string("x"))
            #expect(ok["result"]?["content"]?.arrayValue?.first?["text"] == .string(#"weather.get_alerts {"state":"CA"}"#))
            for name in ["weather__delete_cache", "time__get_current_time", "nothing", "weather__get_alerts__x", "wеather__get_alerts"] {
                let denied = try await alice.post(#"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"\#(name)","arguments":{}}}"#)
                #expect(denied.status == .ok)
                #expect(try json(denied)["error"]?["code"] == .int(-32602), "\(name)")
            }
            let failing = try json(try await alice.post(#"{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"weather__get_forecast","arguments":{}}}"#))
            #expect(failing["result"] != nil)
        }
        let calls = await auditor.calls
        #expect(calls.count == 7)
        #expect(calls.filter { $0.decision == .allowed }.count == 2)
        #expect(calls.filter { $0.decision == .denied && $0.outcome == .denied }.count == 5)
        let first = try #require(calls.first)
        #expect(first.client == "alice" && first.server == "weather" && first.tool == "get_alerts" && first.outcome == .ok)
        // The hash of the canonical arguments, never the arguments themselves.
        #expect("sha256:" + first.argumentsSHA256 == Gateway.tokenHash(#"{"state":"CA"}"#))
        #expect(first.protocolVersion == "2025-06-18")
    }

    @Test func sessionsAreRequiredAndBelongToTheirClient() async throws {
        try await Self.withGateway { client in
            let anonymous = MCPClient(client: client, token: GatewayFixture.aliceToken)
            let missing = try await anonymous.post(#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
            #expect(missing.status == .badRequest)
            var unknown = anonymous
            unknown.session = "deadbeef"
            let unknownSession = try await unknown.post(#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
            #expect(unknownSession.status == .notFound)
            let alice = try await anonymous.initialized()
            var stolen = alice
            stolen.token = GatewayFixture.bobToken
            let stolenSession = try await stolen.post(#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
            #expect(stolenSession.status == .notFound)
            var headers = HTTPFields()
            headers[.authorization] = "Bearer \(GatewayFixture.aliceToken)"
            headers[GatewayFixture.name("Mcp-Session-Id")] = alice.session
            let deleted = try await client.execute(uri: "/mcp", method: .delete, headers: headers)
            #expect(deleted.status == .ok)
            let afterDelete = try await alice.post(#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
            #expect(afterDelete.status == .notFound)
        }
    }

    @Test func malformedInputGetsTheJSONRPCErrorsAndStatusesOfTheSpecification() async throws {
        try await Self.withGateway { client in
            let alice = try await MCPClient(client: client, token: GatewayFixture.aliceToken).initialized()
            let parse = try await alice.post("{not json")
            #expect(parse.status == .badRequest)
            #expect(try json(parse)["error"]?["code"] == .int(-32700))
            let invalid = try await alice.post(#"{"jsonrpc":"2.0","id":1}"#)
            #expect(invalid.status == .badRequest)
            #expect(try json(invalid)["error"]?["code"] == .int(-32600))
            let unknown = try json(try await alice.post(#"{"jsonrpc":"2.0","id":1,"method":"nope/nope"}"#))
            #expect(unknown["error"]?["code"] == .int(-32601))
            let params = try json(try await alice.post(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{}}"#))
            #expect(params["error"]?["code"] == .int(-32602))
            let cursor = try json(try await alice.post(#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"cursor":"zz"}}"#))
            #expect(cursor["error"]?["code"] == .int(-32602))
            let batch = try await alice.post(#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#)
            #expect(batch.status == .badRequest)
            let notification = try await alice.post(#"{"jsonrpc":"2.0","method":"notifications/roots/list_changed"}"#)
            #expect(notification.status == .accepted)
            let wrongType = try await alice.post("{}", extra: [.contentType: "text/plain"])
            #expect(wrongType.status == .unsupportedMediaType)
        }
    }

    @Test func revision20250326AcceptsBatchesAndAnswersEveryRequestInThem() async throws {
        try await Self.withGateway { client in
            let alice = try await MCPClient(client: client, token: GatewayFixture.aliceToken).initialized(version: "2025-03-26")
            let response = try await alice.post(#"[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/progress","params":{}},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"weather__get_forecast","arguments":{"d":1}}}]"#)
            let answers = try #require(try json(response).arrayValue)
            #expect(answers.map { $0["id"] } == [.int(1), .int(2)])
            #expect(answers[1]["result"]?["content"]?.arrayValue?.first?["text"] == .string(#"weather.get_forecast {"d":1}"#))
        }
    }

    @Test func initializeNegotiatesAVersionTheGatewaySpeaks() async throws {
        try await Self.withGateway { client in
            let alice = MCPClient(client: client, token: GatewayFixture.aliceToken)
            for (asked, answered) in [("2024-11-05", "2024-11-05"), ("2025-11-25", "2025-11-25"), ("2099-01-01", "2025-11-25"), ("2026-07-28", "2025-11-25")] {
                let response = try json(try await alice.post(#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"\#(asked)","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#))
                #expect(response["result"]?["protocolVersion"] == .string(answered))
                #expect(response["result"]?["capabilities"]?["tools"]?["listChanged"] == .bool(true))
            }
        }
    }

    @Test func progressIsStreamedBeforeTheAnswerWhenTheRequestAsksForIt() async throws {
        try await Self.withGateway { client in
            let alice = try await MCPClient(client: client, token: GatewayFixture.aliceToken).initialized()
            let response = try await alice.post(#"{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"weather__get_alerts","arguments":{},"_meta":{"progressToken":"p1"}}}"#)
            #expect(response.headers[.contentType] == "text/event-stream")
            let events = String(buffer: response.body).components(separatedBy: "\n\n").filter { $0.hasPrefix("event: message") }
            #expect(events.count == 2)
            #expect(events[0].contains(#""progressToken":"p1""#) && events[1].contains(#""id":9"#))
        }
    }

    @Test func browsersFromOtherOriginsAreRefused() async throws {
        try await Self.withGateway { client in
            let alice = MCPClient(client: client, token: GatewayFixture.aliceToken)
            let evil = try await alice.post(#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#, extra: [.origin: "https://evil.example"])
            #expect(evil.status == .forbidden)
            let local = try await alice.post(#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#,
                                             extra: [.origin: "http://localhost:5173"])
            #expect(local.status == .ok)
        }
    }

    @Test func paginationRunsAcrossServersWithAnOpaqueCursor() async throws {
        let many = (0..<130).map { "tool_\($0)" }
        let backends = ["weather": FakeBackend(server: "weather", tools: many), "time": FakeBackend(server: "time", tools: many)]
        var table = GatewayFixture.table
        table.clients[0].rules = [GatewayFixture.rule("*", ["*"])]
        let gateway = GatewayFixture.gateway(RecordingAuditor(), table: table, backends: backends)
        try await Self.withGateway(gateway: gateway) { client in
            let alice = try await MCPClient(client: client, token: GatewayFixture.aliceToken).initialized()
            var names: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let params = cursor.map { #","params":{"cursor":"\#($0)"}"# } ?? ""
                let page = try json(try await alice.post(#"{"jsonrpc":"2.0","id":1,"method":"tools/list"\#(params)}"#))
                names += page["result"]?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
                cursor = page["result"]?["nextCursor"]?.stringValue
                pages += 1
            } while cursor != nil && pages < 10
            #expect(pages == 3 && names.count == 260 && Set(names).count == 260)
            #expect(names.first == "time__tool_0" && names.last == "weather__tool_129")
        }
    }
}
