import CapstanCore
@testable import CapstanGateway
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// MCP 2026-07-28: no sessions, the revision in every request's `_meta`, headers that mirror
/// the body, `server/discover`, and results marked complete with caching hints.
struct StatelessRevisionTests {
    static let meta = #""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}"#

    static func post(_ client: any TestClientProtocol, method: String, params: String = "", name: String? = nil,
                     headerMethod: String? = nil, token: String = GatewayFixture.aliceToken) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json", .accept: "application/json, text/event-stream",
                                   .authorization: "Bearer \(token)"]
        headers[GatewayFixture.name("MCP-Protocol-Version")] = "2026-07-28"
        headers[GatewayFixture.name("Mcp-Method")] = headerMethod ?? method
        if let name { headers[GatewayFixture.name("Mcp-Name")] = name }
        let body = #"{"jsonrpc":"2.0","id":1,"method":"\#(method)","params":{\#(params)\#(params.isEmpty ? "" : ",")\#(meta)}}"#
        return try await client.execute(uri: "/mcp", method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    static func withGateway(_ auditor: RecordingAuditor = RecordingAuditor(),
                            _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let server = try GatewayServer(gateway: GatewayFixture.gateway(auditor), configuration: GatewayConfiguration(port: 0), admin: nil)
        try await server.makeMCPApplication().test(.router) { client in try await body(client) }
    }

    @Test func discoverNamesTheRevisionsAndNeedsNoSession() async throws {
        try await Self.withGateway { client in
            let response = try await Self.post(client, method: "server/discover")
            #expect(response.status == .ok && response.headers[GatewayFixture.name("Mcp-Session-Id")] == nil)
            let result = try json(response)["result"]
            #expect(result?["resultType"] == .string("complete"))
            #expect(result?["supportedVersions"]?.arrayValue?.first == .string("2026-07-28"))
            #expect(result?["ttlMs"] != nil && result?["cacheScope"] == .string("private"))
        }
    }

    @Test func listsAndCallsWorkWithoutInitializeAndFollowThePolicies() async throws {
        let auditor = RecordingAuditor()
        try await Self.withGateway(auditor) { client in
            let tools = try json(try await Self.post(client, method: "tools/list", token: GatewayFixture.bobToken))["result"]
            #expect(tools?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["time__get_current_time"])
            #expect(tools?["resultType"] == .string("complete") && tools?["cacheScope"] == .string("private"))
            let call = try json(try await Self.post(client, method: "tools/call", params: #""name":"weather__get_forecast","arguments":{}"#,
                                                     name: "weather__get_forecast"))
            #expect(call["result"]?["resultType"] == .string("complete"))
            let denied = try json(try await Self.post(client, method: "tools/call", params: #""name":"weather__delete_cache","arguments":{}"#,
                                                       name: "weather__delete_cache"))
            #expect(denied["error"]?["code"] == .int(-32602))
        }
        #expect(await auditor.calls.map(\.protocolVersion) == ["2026-07-28", "2026-07-28"])
    }

    @Test func headersThatDisagreeWithTheBodyAreRefusedWithHeaderMismatch() async throws {
        try await Self.withGateway { client in
            let method = try await Self.post(client, method: "tools/list", headerMethod: "tools/call")
            #expect(method.status == .badRequest)
            #expect(try json(method)["error"]?["code"] == .int(-32020))
            let name = try await Self.post(client, method: "tools/call", params: #""name":"weather__get_forecast","arguments":{}"#,
                                           name: "weather__delete_cache")
            #expect(name.status == .badRequest)
            #expect(try json(name)["error"]?["code"] == .int(-32020))
            let missing = try await Self.post(client, method: "tools/call", params: #""name":"weather__get_forecast","arguments":{}"#)
            #expect(missing.status == .badRequest)
            #expect(try json(missing)["error"]?["code"] == .int(-32020))
            let encoded = try await Self.post(client, method: "tools/call", params: #""name":"weather__get_forecast","arguments":{}"#,
                                              name: "=?base64?d2VhdGhlcl9fZ2V0X2ZvcmVjYXN0?=")
            #expect(encoded.status == .ok)
            #expect(try json(encoded)["result"] != nil)
        }
    }

    @Test func missingMetaUnknownRevisionsAndRemovedMethodsGetTheirCodes() async throws {
        try await Self.withGateway { client in
            var headers: HTTPFields = [.contentType: "application/json", .accept: "application/json, text/event-stream",
                                       .authorization: "Bearer \(GatewayFixture.aliceToken)"]
            headers[GatewayFixture.name("MCP-Protocol-Version")] = "2026-07-28"
            headers[GatewayFixture.name("Mcp-Method")] = "tools/list"
            let noMeta = try await client.execute(uri: "/mcp", method: .post, headers: headers,
                                                  body: ByteBuffer(string: #"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#))
            #expect(noMeta.status == .badRequest)
            #expect(try json(noMeta)["error"]?["code"] == .int(-32602))
            headers[GatewayFixture.name("MCP-Protocol-Version")] = "2031-01-01"
            let future = try await client.execute(uri: "/mcp", method: .post, headers: headers, body: ByteBuffer(string:
                #"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2031-01-01","io.modelcontextprotocol/clientCapabilities":{}}}}"#))
            #expect(future.status == .badRequest)
            #expect(try json(future)["error"]?["code"] == .int(-32022))
            #expect(try json(future)["error"]?["data"]?["requested"] == .string("2031-01-01"))
            let ping = try await Self.post(client, method: "ping")
            #expect(ping.status == .notFound)
            #expect(try json(ping)["error"]?["code"] == .int(-32601))
            let unknown = try await Self.post(client, method: "nope/nope")
            #expect(unknown.status == .notFound)
            var get = HTTPFields()
            get[.authorization] = "Bearer \(GatewayFixture.aliceToken)"
            get[.accept] = "text/event-stream"
            let stream = try await client.execute(uri: "/mcp", method: .get, headers: get)
            #expect(stream.status == .methodNotAllowed)
        }
    }
}
