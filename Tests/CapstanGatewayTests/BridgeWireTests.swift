import Testing
@testable import CapstanGateway

/// The bridge's pure pieces at the edges: how a POST's response is read, what the app is told
/// when it fails, the requests the gateway gets, and the framing of the app's lines.
struct BridgeWireTests {
    static let token = "t0ken-for-the-bridge"

    // MARK: Outcomes

    @Test func anAnswerWinsOverAnythingElseTheResponseSays() {
        let answer: JSONValue = .object(["jsonrpc": .string("2.0"), "id": .int(3), "result": .object([:])])
        #expect(BridgePostOutcome.classify(status: 200, failure: nil, sentSessionID: true, isRequest: true, answer: answer,
                                           transportError: nil) == .answered(answer))
        #expect(BridgePostOutcome.classify(status: 200, failure: "reset", sentSessionID: true, isRequest: true, answer: answer,
                                           transportError: nil) == .answered(answer))
    }

    @Test func a404IsAForgottenSessionOnlyWhenOneWasSent() {
        #expect(BridgePostOutcome.classify(status: 404, failure: nil, sentSessionID: true, isRequest: true, answer: nil,
                                           transportError: nil) == .sessionGone)
        #expect(BridgePostOutcome.classify(status: 404, failure: nil, sentSessionID: false, isRequest: true, answer: nil,
                                           transportError: nil) == .rejected(status: 404, error: nil))
    }

    @Test func brokenConnectionsAreToldApartByWhetherAResponseHadStarted() {
        #expect(BridgePostOutcome.classify(status: 0, failure: "closed", sentSessionID: true, isRequest: true, answer: nil,
                                           transportError: nil) == .lostBeforeResponse("closed"))
        #expect(BridgePostOutcome.classify(status: 200, failure: "closed", sentSessionID: true, isRequest: true, answer: nil,
                                           transportError: nil) == .lostInFlight("closed"))
    }

    @Test func refusalsKeepTheGatewaysJSONRPCErrorAndA401IsTheToken() {
        let error = JSONRPCErrorObject(code: -32600, message: "Bad Request")
        #expect(BridgePostOutcome.classify(status: 401, failure: nil, sentSessionID: true, isRequest: true, answer: nil,
                                           transportError: error) == .unauthorized)
        #expect(BridgePostOutcome.classify(status: 400, failure: nil, sentSessionID: true, isRequest: true, answer: nil,
                                           transportError: error) == .rejected(status: 400, error: error))
        #expect(BridgePostOutcome.classify(status: 202, failure: nil, sentSessionID: true, isRequest: false, answer: nil,
                                           transportError: nil) == .accepted)
        #expect(BridgePostOutcome.classify(status: 200, failure: nil, sentSessionID: true, isRequest: true, answer: nil,
                                           transportError: nil) == .noAnswer(status: 200))
    }

    // MARK: What the app is told

    @Test func aRefusedTokenIsNamedAsSuchWithoutTheToken() {
        let reply = BridgeReplies.error(id: .int(4), BridgeReplies.failure(.unauthorized, url: "http://127.0.0.1:8750/mcp", waited: nil))
        #expect(reply["id"] == .int(4))
        #expect(reply["error"]?["code"] == .int(-32000))
        #expect(reply["error"]?["message"]?.stringValue?.contains("refused the bridge's token") == true)
        #expect(reply["error"]?["data"]?["reason"] == .string("token-refused"))
        #expect(!reply.text.contains(Self.token))
    }

    @Test func anUnreachableGatewayIsNamedWithHowLongTheBridgeTried() {
        let error = BridgeReplies.unreachable(url: "http://127.0.0.1:8750/mcp", waited: .milliseconds(2500),
                                              lastFailure: .unreachable("cannot connect to 127.0.0.1:8750: Connection refused"))
        #expect(error.code == -32000)
        #expect(error.message == "the Capstan gateway at http://127.0.0.1:8750/mcp is not reachable (retried for 2.5s): "
            + "cannot connect to 127.0.0.1:8750: Connection refused")
        #expect(error.data?["reason"] == .string("gateway-unreachable"))
    }

    @Test func aGatewayRefusalReachesTheAppAsTheGatewayWroteIt() {
        let refusal = JSONRPCErrorObject(code: -32602, message: "unsupported")
        #expect(BridgeReplies.failure(.refused(refusal), url: "u", waited: nil) == refusal)
        #expect(BridgeReplies.httpStatus(400, refusal) == refusal)
        #expect(BridgeReplies.httpStatus(502, nil).data?["httpStatus"] == .int(502))
    }

    // MARK: Requests to the gateway

    static let requests = GatewayRequests(endpoint: LoopbackEndpoint(host: "127.0.0.1", port: 8750, path: "/mcp"), token: token)

    static func head(_ bytes: [UInt8]) -> [String] {
        let text = String(decoding: bytes, as: UTF8.self)
        return text.components(separatedBy: "\r\n\r\n")[0].components(separatedBy: "\r\n")
    }

    @Test func initializeCarriesTheTokenButNoSessionOrVersion() {
        let body: JSONValue = .object(["jsonrpc": .string("2.0"), "id": .int(0), "method": .string("initialize")])
        let bytes = Self.requests.post(body, session: nil)
        let head = Self.head(bytes)
        #expect(head.first == "POST /mcp HTTP/1.1")
        #expect(head.contains("Authorization: Bearer \(Self.token)"))
        #expect(head.contains("Accept: application/json, text/event-stream"))
        #expect(head.contains("Content-Type: application/json"))
        #expect(head.contains("Host: 127.0.0.1:8750"))
        #expect(head.contains("Content-Length: \(body.bytes.count)"))
        #expect(!head.contains { $0.lowercased().hasPrefix("mcp-") })
        #expect(String(decoding: bytes, as: UTF8.self).hasSuffix("\r\n\r\n" + body.text))
    }

    @Test func laterRequestsCarryTheSessionAndItsVersion() {
        let session = BridgeLink.Session(generation: 1, id: "abc", protocolVersion: "2025-06-18", initializeResult: .object([:]))
        let post = Self.head(Self.requests.post(.object([:]), session: session))
        #expect(post.contains("Mcp-Session-Id: abc") && post.contains("MCP-Protocol-Version: 2025-06-18"))
        let get = Self.head(Self.requests.listen(session))
        #expect(get.first == "GET /mcp HTTP/1.1")
        #expect(get.contains("Accept: text/event-stream") && get.contains("Mcp-Session-Id: abc"))
        #expect(get.contains("Authorization: Bearer \(Self.token)"))
        let delete = Self.head(Self.requests.delete(session))
        #expect(delete.first == "DELETE /mcp HTTP/1.1" && delete.contains("Mcp-Session-Id: abc"))
    }

    @Test func tokensAndURLsThatCannotWorkAreRefusedUpFront() throws {
        #expect(throws: BridgeError.invalidToken) { try BridgeError.checkToken("two words") }
        #expect(throws: BridgeError.invalidToken) { try BridgeError.checkToken("line\r\nX-Injected: 1") }
        #expect(throws: BridgeError.invalidToken) { try BridgeError.checkToken("") }
        try BridgeError.checkToken(Self.token)
        for url in ["https://127.0.0.1:8750/mcp", "http://10.0.0.1:8750/mcp", "http://user:pw@127.0.0.1:1/mcp"] {
            #expect(throws: BridgeError.self) {
                try Bridge(BridgeConfiguration(url: url, token: Self.token), input: -1, output: -1) { _ in }
            }
        }
    }

    // MARK: The app's lines

    static func lines(_ chunks: [String], maximumLength: Int = 1 << 20) -> [LineSplitter.Line] {
        var splitter = LineSplitter(maximumLength: maximumLength)
        var out: [LineSplitter.Line] = []
        for chunk in chunks { splitter.feed(Array(chunk.utf8)) { out.append($0) } }
        splitter.finish { out.append($0) }
        return out
    }

    @Test func linesSplitAtLFAcrossChunksWithCRLFAndBlankLinesHandled() {
        let got = Self.lines(["{\"a\":", "1}\r\n\n  \r\n{\"b\"", ":2}\n{\"c\":3}"])
        #expect(got == [.line(Array("{\"a\":1}".utf8)), .line(Array("{\"b\":2}".utf8)), .line(Array("{\"c\":3}".utf8))])
    }

    @Test func anOverlongLineIsDroppedWholeAndTheNextOneIsRead() {
        let got = Self.lines([String(repeating: "x", count: 40), "\n{}\n"], maximumLength: 16)
        #expect(got == [.tooLong, .line(Array("{}".utf8))])
    }
}
