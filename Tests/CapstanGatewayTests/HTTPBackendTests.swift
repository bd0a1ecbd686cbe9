import CapstanDocker
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import CapstanGateway

/// HTTPBackend against a real FastMCP server (the `mcp` SDK) speaking Streamable HTTP in a
/// container on the host network, listening on 127.0.0.1. One test at a time: each starts a
/// Python server, and the timing assertions should not measure a machine busy starting ten.
@Suite(.serialized) struct HTTPBackendTests {
    typealias Stdio = StdioBackendTests

    /// Starts the probe server on a free loopback port and waits until it accepts connections.
    static func httpServer(_ fx: BackendFixture, _ suffix: String, json: Bool = false) async throws -> (container: String, url: String, port: Int) {
        let port = try freePort()
        let container = try await fx.container(suffix, ["python", "-u", "-c", BackendFixture.serverScript, "http", String(port)] + (json ? ["json"] : []),
                                               network: "host")
        try await waitUntilListening(port)
        return (container, "http://127.0.0.1:\(port)/mcp", port)
    }

    static func freePort() throws -> Int {
        let (descriptor, address) = try loopbackSocket(listening: false)
        close(descriptor)
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// A TCP socket bound to 127.0.0.1 on a port the kernel picks, listening if asked.
    static func loopbackSocket(listening: Bool) throws -> (descriptor: Int32, address: sockaddr_in) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && (!listening || listen(descriptor, 1) == 0)
                    && getsockname(descriptor, pointer, &length) == 0
            }
        }
        guard bound else {
            close(descriptor)
            throw POSIXError(.EADDRNOTAVAIL)
        }
        return (descriptor, address)
    }

    static func waitUntilListening(_ port: Int, within limit: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now.advanced(by: limit)
        while ContinuousClock.now < deadline {
            let endpoint = LoopbackEndpoint(host: "127.0.0.1", port: port, path: "/")
            if case .success(let connection) = HTTPConnection.open(endpoint, onIdle: { _ in }) {
                connection.close()
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("nothing listens on 127.0.0.1:\(port)")
    }

    // MARK: Without a server

    @Test func chunkedResponsesAndEventStreamsParseAcrossAnyChunkBoundary() throws {
        func chunk(_ text: String) -> String { String(text.utf8.count, radix: 16) + "\r\n" + text + "\r\n" }
        let wire = Array(("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
            + chunk("event: message\r\ndata: {\"a\":1}\n\r\n") + chunk(": comment\n\ndata: [1,\r") + chunk("\ndata: 2]\r\r")
            + "0\r\n\r\n"
            + "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n").utf8)
        for cut in 0...wire.count {
            var parser = HTTPResponseParser()
            var statuses: [Int] = []
            var ends = 0
            var events = SSEDecoder()
            var data: [String] = []
            let handle: (HTTPResponseParser.Event) -> Void = { event in
                switch event {
                case .head(let head): statuses.append(head.status)
                case .body(let bytes): try? events.feed(bytes) { data.append(String(decoding: $0, as: UTF8.self)) }
                case .end: ends += 1
                }
            }
            try wire[..<cut].withUnsafeBytes { try parser.feed($0, emit: handle) }
            try wire[cut...].withUnsafeBytes { try parser.feed($0, emit: handle) }
            #expect(statuses == [200, 202], "cut at \(cut)")
            #expect(ends == 2, "cut at \(cut)")
            #expect(data == ["{\"a\":1}", "[1,\n2]"], "cut at \(cut)")
            #expect(parser.isBetweenResponses)
        }
    }

    /// A pooled connection the server has closed is not reused, even before its reader thread
    /// has seen the end (on a loaded machine it may not have run yet): a request written after
    /// the server's FIN is lost, and a tool call lost that way cannot be sent again.
    @Test func aConnectionTheServerClosedIsSeenClosedWithoutReadingIt() throws {
        var (listener, address) = try Self.loopbackSocket(listening: true)
        defer { close(listener) }
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(client) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        try #require(connected)
        let server = accept(listener, nil, nil)
        try #require(server >= 0)
        #expect(!HTTPConnection.peerClosed(client))
        close(server)
        #expect(HTTPConnection.peerClosed(client))
    }

    @Test func onlyLoopbackHTTPURLsAreAccepted() throws {
        #expect(try LoopbackEndpoint("http://127.0.0.1:8000/mcp") == LoopbackEndpoint(host: "127.0.0.1", port: 8000, path: "/mcp"))
        #expect(try LoopbackEndpoint("http://[::1]:9/") == LoopbackEndpoint(host: "::1", port: 9, path: "/"))
        #expect(try LoopbackEndpoint("http://localhost:8080").path == "/")
        #expect(throws: LoopbackEndpoint.Invalid.notLoopback("10.0.0.8")) { try LoopbackEndpoint("http://10.0.0.8:8000/mcp") }
        #expect(throws: LoopbackEndpoint.Invalid.notHTTP) { try LoopbackEndpoint("https://127.0.0.1/mcp") }
        #expect(throws: LoopbackEndpoint.Invalid.userInfo) { try LoopbackEndpoint("http://me:secret@127.0.0.1:8000/mcp") }
    }

    @Test func aURLOffTheMachineFailsEveryCall() async {
        let backend = HTTPBackend(server: "far", url: "http://192.0.2.1:8000/mcp")
        await #expect(throws: BackendError.unavailable(server: "far", reason: "its URL is not http://<loopback address>:<port>/<path>")) {
            try await backend.serverCapabilities()
        }
    }

    @Test func nothingListeningIsUnavailable() async throws {
        let backend = HTTPBackend(server: "gone", url: "http://127.0.0.1:\(try Self.freePort())/mcp")
        await #expect {
            try await Stdio.call(backend, "echo", ["text": .string("x")])
        } throws: { error in
            guard case .unavailable("gone", let reason) = error as? BackendError else { return false }
            return reason.contains("cannot connect")
        }
    }

    // MARK: Against a server

    @Test(arguments: [false, true])
    func oneSessionServesSixtyFourConcurrentCallersEachWithItsOwnAnswer(json: Bool) async throws {
        try await BackendFixture.run { fx in
            let server = try await Self.httpServer(fx, json ? "json" : "sse", json: json)
            let backend = HTTPBackend(server: "probe", url: server.url)
            defer { Task { await backend.close() } }
            let mismatches = try await withThrowingTaskGroup(of: String?.self) { group in
                for n in 0..<64 {
                    group.addTask {
                        let callerID: JSONValue = n.isMultiple(of: 2) ? .string("c-\(n % 4)") : .int(n % 4)
                        let answer = try await Stdio.call(backend, "echo", ["text": .string("caller \(n)")], id: callerID)
                        guard case .response(let id, _) = answer, id == callerID, Stdio.text(answer) == "caller \(n)" else {
                            return "\(n): \(answer)"
                        }
                        return nil
                    }
                }
                var mismatches: [String] = []
                for try await mismatch in group { if let mismatch { mismatches.append(mismatch) } }
                return mismatches
            }
            #expect(mismatches.isEmpty)
            #expect(backend.protocolVersion == "2025-11-25")
            let stats = try #require(Stdio.text(try await Stdio.call(backend, "stats")))
            #expect(try JSONParser.parse(stats)["initialize"] == .int(1))
        }
    }

    @Test func progressComesBackOnTheEventStreamUnderTheCallersToken() async throws {
        try await BackendFixture.run { fx in
            let backend = HTTPBackend(server: "probe", url: try await Self.httpServer(fx, "progress").url)
            defer { Task { await backend.close() } }
            let seen = Shared<[JSONValue]>([])
            let answer = try await Stdio.call(backend, "steps", ["count": .int(4)], meta: ["progressToken": .int(99)]) { note in
                if case .notification("notifications/progress", let params?) = note { seen.update { $0.append(params) } }
            }
            #expect(Stdio.text(answer) == "4 steps")
            #expect(seen.value.map { $0["progressToken"] } == Array(repeating: .int(99), count: 4))
            #expect(seen.value.map { Stdio.number($0["progress"]) } == [1, 2, 3, 4])
        }
    }

    @Test func aCallPastItsTimeoutFailsWithTimeoutAndTheSessionCarriesOn() async throws {
        try await BackendFixture.run { fx in
            let backend = HTTPBackend(server: "probe", url: try await Self.httpServer(fx, "timeout").url)
            defer { Task { await backend.close() } }
            _ = try await backend.serverCapabilities()
            let clock = ContinuousClock()
            let started = clock.now
            await #expect(throws: BackendError.timeout(server: "probe", after: .milliseconds(300))) {
                try await Stdio.call(backend, "slow", ["seconds": .int(30)], timeout: .milliseconds(300))
            }
            #expect(clock.now - started < .seconds(2))
            #expect(Stdio.text(try await Stdio.call(backend, "echo", ["text": .string("still here")])) == "still here")
            let stats = try #require(Stdio.text(try await Stdio.call(backend, "stats")))
            #expect(try JSONParser.parse(stats)["initialize"] == .int(1))
        }
    }

    @Test func listsAreCachedUntilTheGetStreamSaysTheyChanged() async throws {
        try await BackendFixture.run { fx in
            let backend = HTTPBackend(server: "probe", url: try await Self.httpServer(fx, "lists").url)
            defer { Task { await backend.close() } }
            let changes = Shared<[ListKind]>([])
            backend.onListChanged { kind in changes.update { $0.append(kind) } }
            let first = try await backend.list(.tools)
            #expect(try await backend.list(.tools) == first)
            func listRequests() async throws -> JSONValue? {
                try JSONParser.parse(try #require(Stdio.text(try await Stdio.call(backend, "stats"))))["tools/list"]
            }
            #expect(try await listRequests() == .int(1))
            _ = try await Stdio.call(backend, "grow", ["name": .string("grown_tool")])
            try await within(.seconds(5)) { while changes.value != [.tools] { try await Task.sleep(for: .milliseconds(10)) } }
            let second = try await backend.list(.tools)
            #expect(second.contains { $0["name"] == .string("grown_tool") })
            #expect(try await listRequests() == .int(2))
        }
    }

    @Test func requestsFromTheServerAreAnsweredRatherThanLeftHanging() async throws {
        try await BackendFixture.run { fx in
            let backend = HTTPBackend(server: "probe", url: try await Self.httpServer(fx, "asks").url)
            defer { Task { await backend.close() } }
            let text = try #require(Stdio.text(try await Stdio.call(backend, "ask_client")))
            #expect(text.hasPrefix("pinged; roots refused"))
            #expect(text.contains("does not forward roots/list"))
        }
    }

    @Test func aServerThatDiesFailsTheCallWithinASecondAndANewOneGetsANewSession() async throws {
        try await BackendFixture.run { fx in
            let server = try await Self.httpServer(fx, "dies")
            let backend = HTTPBackend(server: "probe", url: server.url)
            defer { Task { await backend.close() } }
            _ = try await backend.serverCapabilities()
            let slow = Task { () async throws -> JSONRPCMessage in
                try await Stdio.call(backend, "slow", ["seconds": .int(60)])
            }
            try await Task.sleep(for: .milliseconds(500))
            // Timed from the engine's answer to the kill (given once the container has exited).
            let clock = ContinuousClock()
            try await fx.docker.killContainer(server.container)
            let killed = clock.now
            guard case .unavailable("probe", _)? = await slow.backendError else {
                Issue.record("the call in flight did not fail with .unavailable")
                return
            }
            #expect(clock.now - killed < .seconds(1))

            // A new server process knows nothing of the old session.
            try await fx.docker.startContainer(server.container)
            try await Self.waitUntilListening(server.port)
            #expect(Stdio.text(try await Stdio.call(backend, "echo", ["text": .string("back")])) == "back")
            let stats = try #require(Stdio.text(try await Stdio.call(backend, "stats")))
            #expect(try JSONParser.parse(stats)["initialize"] == .int(1))
        }
    }

    @Test func aSessionTheServerForgotIsInitializedAgainAndTheRequestResent() async throws {
        try await BackendFixture.run { fx in
            let server = try await Self.httpServer(fx, "forgets")
            let backend = HTTPBackend(server: "probe", url: server.url)
            defer { Task { await backend.close() } }
            #expect(try await backend.serverCapabilities()["serverInfo"]?["name"] == .string("probe"))
            // The server ends the session, as a server may at any time; the next request gets 404.
            let sessionID = try #require(backend.sessionID)
            let status = try await Self.deleteSession(sessionID, port: server.port)
            #expect(status == 200 || status == 204)
            #expect(Stdio.text(try await Stdio.call(backend, "echo", ["text": .string("resent")])) == "resent")
            #expect(backend.sessionID != sessionID)
        }
    }

    /// Ends a session at the server as another client would, with a DELETE.
    static func deleteSession(_ id: String, port: Int) async throws -> Int? {
        let endpoint = LoopbackEndpoint(host: "127.0.0.1", port: port, path: "/mcp")
        let pool = HTTPConnectionPool(endpoint: endpoint)
        defer { pool.closeAll() }
        let exchange = StatusExchange()
        let text = "DELETE /mcp HTTP/1.1\r\nHost: \(endpoint.authority)\r\nMcp-Session-Id: \(id)\r\nMCP-Protocol-Version: 2025-11-25\r\nContent-Length: 0\r\n\r\n"
        try #require(pool.send(Array(text.utf8), exchange, register: exchange.track) == nil)
        return await exchange.done.value(until: ContinuousClock.now.advanced(by: .seconds(5))) ?? nil
    }
}
