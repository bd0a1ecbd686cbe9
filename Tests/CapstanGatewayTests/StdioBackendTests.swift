import CapstanDocker
import Foundation
import Synchronization
import Testing
@testable import CapstanGateway

/// StdioBackend against real MCP servers (the `mcp` SDK's FastMCP and `mcp-server-time` from
/// PyPI) in real containers, attached through the real engine. One test at a time, for the
/// same reason as HTTPBackendTests.
@Suite(.serialized) struct StdioBackendTests {
    static func call(_ backend: some MCPBackend, _ name: String, _ arguments: JSONObject = [:], id: JSONValue = .int(1),
                     meta: JSONObject? = nil, timeout: Duration = .seconds(30),
                     onNotification: @escaping @Sendable (JSONRPCMessage) -> Void = { _ in }) async throws(BackendError) -> JSONRPCMessage {
        var params: JSONObject = ["name": .string(name), "arguments": .object(arguments)]
        if let meta { params["_meta"] = .object(meta) }
        return try await backend.send(.request(id: id, method: "tools/call", params: .object(params)), timeout: timeout,
                                      onNotification: onNotification)
    }

    static func number(_ value: JSONValue?) -> Double? {
        if case .number(let text)? = value { return Double(text) }
        return nil
    }

    /// The text of a successful tool result.
    static func text(_ answer: JSONRPCMessage) -> String? {
        guard case .response(_, let result) = answer, result["isError"] != .bool(true) else { return nil }
        return result["content"]?.arrayValue?.first?["text"]?.stringValue
    }

    static func stdioBackend(_ fx: BackendFixture, container: String, initializeTimeout: Duration = .seconds(20)) -> StdioBackend {
        StdioBackend(server: "probe", container: container, docker: fx.docker, initializeTimeout: initializeTimeout)
    }

    // MARK: Without an engine

    @Test func requestsGetTheGatewaysIdAndProgressTokenAndAnswersGetTheCallersBack() throws {
        let params: JSONValue = .object(["name": .string("x"), "_meta": .object(["progressToken": .string("client-token"), "other": .int(1)])])
        let (message, callerToken) = BackendMessages.outgoing(method: "tools/call", params: params, id: 42)
        #expect(callerToken == .string("client-token"))
        #expect(message == .request(id: .int(42), method: "tools/call",
                                    params: .object(["name": .string("x"), "_meta": .object(["progressToken": .int(42), "other": .int(1)])])))
        #expect(BackendMessages.outgoing(method: "tools/list", params: nil, id: 7).callerToken == nil)

        let answer = try JSONRPCMessage(JSONParser.parse(#"{"jsonrpc":"2.0","id":42,"result":{"ok":true}}"#))
        guard case .answer(let id, let raw) = BackendMessages.classify(answer) else { Issue.record("not an answer"); return }
        #expect(id == 42)
        #expect(BackendMessages.restoring(raw, callerID: .string("abc")) == .response(id: .string("abc"), result: .object(["ok": .bool(true)])))

        let progress = try JSONRPCMessage(JSONParser.parse(#"{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":42,"progress":1}}"#))
        guard case .progress(let token, let progressParams) = BackendMessages.classify(progress) else { Issue.record("not progress"); return }
        #expect(token == 42)
        #expect(BackendMessages.restoring(progress: progressParams, callerToken: .string("client-token"))
                == .notification(method: "notifications/progress", params: .object(["progressToken": .string("client-token"), "progress": .int(1)])))
    }

    @Test func serverRequestsAreAnsweredByTheGatewayAndListChangesRecognised() {
        #expect(BackendMessages.classify(.request(id: .int(1), method: "ping", params: nil)) == .request(reply: .response(id: .int(1), result: .object([:]))))
        for method in ["sampling/createMessage", "elicitation/create", "roots/list"] {
            guard case .request(.error(.string("s1")?, let error)) = BackendMessages.classify(.request(id: .string("s1"), method: method, params: nil)) else {
                Issue.record("\(method) not refused")
                continue
            }
            #expect(error.code == JSONRPCErrorObject.methodNotFound)
            #expect(error.message.contains(method))
        }
        #expect(BackendMessages.classify(.notification(method: "notifications/resources/list_changed", params: nil)) == .listChanged([.resources, .resourceTemplates]))
        #expect(BackendMessages.classify(.notification(method: "notifications/tools/list_changed", params: nil)) == .listChanged([.tools]))
    }

    @Test func onlyKnownProtocolVersionsAreAccepted() throws {
        for version in ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"] {
            let answer = JSONRPCMessage.response(id: .int(1), result: .object(["protocolVersion": .string(version), "capabilities": .object([:])]))
            #expect(try BackendMessages.accept(initializeAnswer: answer, server: "s").version == version)
        }
        let future = JSONRPCMessage.response(id: .int(1), result: .object(["protocolVersion": .string("2099-01-01")]))
        #expect(throws: BackendError.self) { try BackendMessages.accept(initializeAnswer: future, server: "s") }
    }

    @Test func aListIsFetchedPageByPageUntilThereIsNoCursor() async throws {
        let asked = Shared<[JSONValue?]>([])
        let pages: [String?: (items: [String], next: String?)] = [nil: (["a", "b"], "p2"), "p2": (["c"], "p3"), "p3": ([], nil)]
        let items = try await BackendCore.fetchAll(.tools, server: "s") { method, params throws(BackendError) in
            #expect(method == "tools/list")
            asked.update { $0.append(params) }
            let page = pages[params?["cursor"]?.stringValue]!
            var result: JSONObject = ["tools": .array(page.items.map { .object(["name": .string($0)]) })]
            if let next = page.next { result["nextCursor"] = .string(next) }
            return .response(id: .int(0), result: .object(result))
        }
        #expect(items.map { $0["name"] } == [.string("a"), .string("b"), .string("c")])
        #expect(asked.value == [nil, .object(["cursor": .string("p2")]), .object(["cursor": .string("p3")])])

        // A server that hands out the same cursor again would page for ever.
        await #expect(throws: BackendError.protocolViolation(server: "s", reason: "tools/list repeated the cursor again")) {
            try await BackendCore.fetchAll(.tools, server: "s") { _, _ throws(BackendError) in
                .response(id: .int(0), result: .object(["tools": .array([]), "nextCursor": .string("again")]))
            }
        }
    }

    // MARK: Against the engine

    @Test func initializesOnceForManyCallsAndNegotiatesTheLatestVersion() async throws {
        try await BackendFixture.run { fx in
            let container = try await fx.stdioServer("once")
            let backend = Self.stdioBackend(fx, container: container)
            defer { Task { await backend.close() } }
            for n in 0..<20 {
                let answer = try await Self.call(backend, "echo", ["text": .string("hello \(n)")], id: .int(n))
                #expect(Self.text(answer) == "hello \(n)")
            }
            let capabilities = try await backend.serverCapabilities()
            #expect(capabilities["serverInfo"]?["name"] == .string("probe"))
            #expect(backend.protocolVersion == "2025-11-25")
            let stats = try #require(Self.text(try await Self.call(backend, "stats")))
            #expect(try JSONParser.parse(stats)["initialize"] == .int(1))
        }
    }

    @Test func sixtyFourConcurrentCallsToTheTimeServerEachGetTheirOwnAnswer() async throws {
        try await BackendFixture.run { fx in
            let container = try await fx.container("time", ["python", "-m", "mcp_server_time", "--local-timezone", "UTC"])
            let backend = Self.stdioBackend(fx, container: container)
            defer { Task { await backend.close() } }
            let tools = try await backend.list(.tools).compactMap { $0["name"]?.stringValue }
            #expect(tools.contains("convert_time"))
            let mismatches = try await withThrowingTaskGroup(of: String?.self) { group in
                for n in 0..<64 {
                    group.addTask {
                        // Half the callers use string ids, half numbers, and they collide across
                        // "clients" on purpose: the backend's own ids keep them apart.
                        let callerID: JSONValue = n.isMultiple(of: 2) ? .string("c-\(n % 8)") : .int(n % 8)
                        let time = String(format: "%02d:%02d", n / 60 + 10, n % 60)
                        let answer = try await Self.call(backend, "convert_time", ["source_timezone": .string("UTC"), "time": .string(time),
                                                                                   "target_timezone": .string("Asia/Tokyo")], id: callerID)
                        guard case .response(let id, _) = answer, id == callerID else { return "\(n): wrong id in \(answer)" }
                        guard let text = Self.text(answer), text.contains("T\(time):00+00:00") else { return "\(n): wrong answer \(answer)" }
                        return nil
                    }
                }
                var mismatches: [String] = []
                for try await mismatch in group { if let mismatch { mismatches.append(mismatch) } }
                return mismatches
            }
            #expect(mismatches.isEmpty)
        }
    }

    @Test func progressGoesToItsOwnCallerUnderItsOwnToken() async throws {
        try await BackendFixture.run { fx in
            let backend = Self.stdioBackend(fx, container: try await fx.stdioServer("progress"))
            defer { Task { await backend.close() } }
            // Two clients that happen to pick the same token.
            let seen = Shared<[Int: [JSONValue]]>([:])
            try await withThrowingTaskGroup(of: Void.self) { group in
                for count in [3, 5] {
                    group.addTask {
                        let answer = try await Self.call(backend, "steps", ["count": .int(count)], meta: ["progressToken": .string("tok")]) { note in
                            guard case .notification("notifications/progress", let params?) = note else { return }
                            seen.update { $0[count, default: []].append(params) }
                        }
                        #expect(Self.text(answer) == "\(count) steps")
                    }
                }
                try await group.waitForAll()
            }
            let byCaller = seen.value
            for count in [3, 5] {
                let notes = byCaller[count] ?? []
                #expect(notes.count == count)
                // Python sends the numbers as floats ("3.0").
                #expect(notes.allSatisfy { $0["progressToken"] == .string("tok") && Self.number($0["total"]) == Double(count) })
                #expect(notes.map { Self.number($0["progress"]) } == (1...count).map(Double.init))
            }
        }
    }

    @Test func aCallPastItsTimeoutFailsWithTimeoutAndTheBackendCarriesOn() async throws {
        try await BackendFixture.run { fx in
            let backend = Self.stdioBackend(fx, container: try await fx.stdioServer("timeout"))
            defer { Task { await backend.close() } }
            _ = try await backend.serverCapabilities()
            let clock = ContinuousClock()
            let started = clock.now
            await #expect(throws: BackendError.timeout(server: "probe", after: .milliseconds(300))) {
                try await Self.call(backend, "slow", ["seconds": .int(30)], timeout: .milliseconds(300))
            }
            #expect(clock.now - started < .seconds(2))
            #expect(Self.text(try await Self.call(backend, "echo", ["text": .string("still here")])) == "still here")
        }
    }

    @Test func cancellingTheCallingTaskEndsTheCallAtOnce() async throws {
        try await BackendFixture.run { fx in
            let backend = Self.stdioBackend(fx, container: try await fx.stdioServer("cancel"))
            defer { Task { await backend.close() } }
            _ = try await backend.serverCapabilities()
            let call = Task { () async throws -> JSONRPCMessage in
                try await Self.call(backend, "slow", ["seconds": .int(30)])
            }
            try await Task.sleep(for: .milliseconds(300))
            let clock = ContinuousClock()
            let cancelled = clock.now
            call.cancel()
            #expect(await call.backendError == .cancelled)
            #expect(clock.now - cancelled < .seconds(1))
            #expect(Self.text(try await Self.call(backend, "echo", ["text": .string("next")])) == "next")
        }
    }

    @Test func killingTheContainerFailsTheCallWithinASecondAndTheNextCallRestartsIt() async throws {
        try await BackendFixture.run { fx in
            let container = try await fx.stdioServer("kill")
            let backend = Self.stdioBackend(fx, container: container)
            defer { Task { await backend.close() } }
            _ = try await backend.serverCapabilities()
            let slow = Task { () async throws -> JSONRPCMessage in
                try await Self.call(backend, "slow", ["seconds": .int(60)])
            }
            try await Task.sleep(for: .milliseconds(500))
            // Timed from the engine's answer to the kill (given once the container has exited): the
            // promise is about noticing a death, not about how fast a loaded engine kills.
            let clock = ContinuousClock()
            try await fx.docker.killContainer(container)
            let killed = clock.now
            let error = await slow.backendError
            #expect(clock.now - killed < .seconds(1))
            guard case .unavailable(server: "probe", let reason)? = error else {
                Issue.record("expected .unavailable, got \(String(describing: error))")
                return
            }
            #expect(reason.contains("container"))
            #expect(Self.text(try await Self.call(backend, "echo", ["text": .string("back")])) == "back")
            #expect(try await fx.docker.inspectContainer(container)?.state.running == true)
        }
    }

    @Test func listsAreCachedUntilTheServerSaysTheyChanged() async throws {
        try await BackendFixture.run { fx in
            let backend = Self.stdioBackend(fx, container: try await fx.stdioServer("lists"))
            defer { Task { await backend.close() } }
            let changes = Shared<[ListKind]>([])
            backend.onListChanged { kind in changes.update { $0.append(kind) } }
            let first = try await backend.list(.tools)
            async let a = backend.list(.tools)
            async let b = backend.list(.tools)
            #expect(try await a == first)
            #expect(try await b == first)
            #expect(try await backend.list(.prompts) == [])
            func listRequests() async throws -> JSONValue? {
                try JSONParser.parse(try #require(Self.text(try await Self.call(backend, "stats"))))["tools/list"]
            }
            #expect(try await listRequests() == .int(1))

            _ = try await Self.call(backend, "grow", ["name": .string("grown_tool")])
            try await within(.seconds(5)) { while changes.value != [.tools] { try await Task.sleep(for: .milliseconds(10)) } }
            let second = try await backend.list(.tools)
            #expect(second.count == first.count + 1)
            #expect(second.contains { $0["name"] == .string("grown_tool") })
            #expect(try await listRequests() == .int(2))
        }
    }

    @Test func requestsFromTheServerAreAnsweredRatherThanLeftHanging() async throws {
        try await BackendFixture.run { fx in
            let backend = Self.stdioBackend(fx, container: try await fx.stdioServer("asks"))
            defer { Task { await backend.close() } }
            let text = try #require(Self.text(try await Self.call(backend, "ask_client")))
            #expect(text.hasPrefix("pinged; roots refused"))
            #expect(text.contains("does not forward roots/list"))
        }
    }

    @Test func aServerThatNeverAnswersInitializeGetsItsContainerRestarted() async throws {
        try await BackendFixture.run { fx in
            // The first run of the container hangs without reading stdin; the restarted one serves.
            let script = """
                import os, time
                marker = "/tmp/started-once"
                if not os.path.exists(marker):
                    open(marker, "w").close()
                    time.sleep(3600)
                exec(compile(os.environ["SERVER"], "server", "exec"))
                """
            let container = try await fx.container("restart", ["python", "-u", "-c", script], env: ["SERVER=" + BackendFixture.serverScript])
            let backend = Self.stdioBackend(fx, container: container, initializeTimeout: .seconds(5))
            defer { Task { await backend.close() } }
            let restartsBefore = try #require(try await fx.docker.inspectContainer(container)).state.startedAt
            #expect(Self.text(try await Self.call(backend, "echo", ["text": .string("after restart")])) == "after restart")
            #expect(try await fx.docker.inspectContainer(container)?.state.startedAt != restartsBefore)
        }
    }

    @Test func aMissingContainerIsUnavailableAndSaysWhich() async throws {
        try await BackendFixture.run { fx in
            let backend = Self.stdioBackend(fx, container: fx.name("absent"))
            defer { Task { await backend.close() } }
            await #expect {
                try await Self.call(backend, "echo", ["text": .string("x")])
            } throws: { error in
                guard case .unavailable("probe", let reason) = error as? BackendError else { return false }
                return reason.contains(fx.name("absent"))
            }
        }
    }

    @Test func closingFailsCallsInFlightAndLaterCalls() async throws {
        try await BackendFixture.run { fx in
            let backend = Self.stdioBackend(fx, container: try await fx.stdioServer("close"))
            _ = try await backend.serverCapabilities()
            let slow = Task { () async throws -> JSONRPCMessage in
                try await Self.call(backend, "slow", ["seconds": .int(30)])
            }
            try await Task.sleep(for: .milliseconds(300))
            await backend.close()
            guard case .unavailable? = await slow.backendError else { Issue.record("in-flight call not failed"); return }
            await #expect(throws: BackendError.self) { try await Self.call(backend, "echo", ["text": .string("x")]) }
        }
    }
}

extension Task where Success == JSONRPCMessage, Failure == any Error {
    /// How the call in this task failed; nil if it did not.
    var backendError: BackendError? {
        get async {
            guard case .failure(let error) = await result else { return nil }
            return error as? BackendError
        }
    }
}

struct TimedOut: Error {}

/// A value that handlers on other threads update and the test reads.
final class Shared<Value: Sendable>: Sendable {
    private let state: Mutex<Value>
    init(_ value: Value) { state = Mutex(value) }
    var value: Value { state.withLock { $0 } }
    func update(_ body: (inout Value) -> Void) { state.withLock { body(&$0) } }
}

struct BaseImageMissing: Error {
    var status: Int32
}

func within<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw TimedOut() }
        return value
    }
}

/// The engine, the base image, and containers that are removed after each test, failed or not.
/// Shared with HTTPBackendTests.
struct BackendFixture {
    static let image = "python:3.11-slim-bookworm"

    /// A FastMCP server for the tests: `echo`, `slow`, `steps` (progress), `grow` (changes the
    /// tool list), `ask_client` (requests from the server), `stats` (what the server saw).
    /// stdio by default; `http PORT` serves streamable HTTP on 127.0.0.1:PORT (answers as event
    /// streams; `http PORT json` as plain JSON).
    static let serverScript = #"""
        import asyncio, json, sys
        import mcp.types as types
        from mcp.server.fastmcp import Context, FastMCP
        from mcp.server.session import ServerSession

        counts = {"initialize": 0, "tools/list": 0}
        _received = ServerSession._received_request
        async def _counting(self, responder):
            if isinstance(responder.request.root, types.InitializeRequest):
                counts["initialize"] += 1
            return await _received(self, responder)
        ServerSession._received_request = _counting

        mcp = FastMCP("probe")
        _list = mcp._mcp_server.request_handlers[types.ListToolsRequest]
        async def _counting_list(request):
            counts["tools/list"] += 1
            return await _list(request)
        mcp._mcp_server.request_handlers[types.ListToolsRequest] = _counting_list

        @mcp.tool()
        def echo(text: str) -> str:
            return text

        @mcp.tool()
        async def slow(seconds: float) -> str:
            await asyncio.sleep(seconds)
            return "slept"

        @mcp.tool()
        async def steps(count: int, ctx: Context) -> str:
            for i in range(count):
                await ctx.report_progress(i + 1, count)
            return f"{count} steps"

        @mcp.tool()
        async def grow(name: str, ctx: Context) -> str:
            mcp.add_tool(lambda: name, name=name, description="added at run time")
            await ctx.session.send_tool_list_changed()
            return "grown"

        @mcp.tool()
        async def ask_client(ctx: Context) -> str:
            await ctx.session.send_ping()
            try:
                await ctx.session.list_roots()
            except Exception as error:
                return "pinged; roots refused: " + str(error)
            return "pinged; roots answered"

        @mcp.tool()
        def stats() -> str:
            return json.dumps(counts)

        if len(sys.argv) > 2 and sys.argv[1] == "http":
            mcp.settings.host = "127.0.0.1"
            mcp.settings.port = int(sys.argv[2])
            mcp.settings.json_response = sys.argv[3:] == ["json"]
            mcp.run("streamable-http")
        else:
            mcp.run()
        """#

    let docker: DockerClient
    let runID = UUID().uuidString.lowercased()

    var label: String { "capstan.test=\(runID)" }

    func name(_ suffix: String) -> String { "capstan-gw-\(runID.prefix(13))-\(suffix)" }

    /// Creates and starts a long-lived container the way `apply` does for a stdio server:
    /// stdin open and kept open across attaches, no TTY.
    func container(_ suffix: String, _ cmd: [String], env: [String] = [], network: String = "none") async throws -> String {
        let spec = ContainerSpec(image: Self.image, cmd: cmd, env: env, labels: ["capstan.test": runID],
                                 openStdin: true, stdinOnce: false, tty: false,
                                 hostConfig: HostConfig(networkMode: network))
        let id = try await docker.createContainer(name: name(suffix), spec: spec)
        try await docker.startContainer(id)
        return name(suffix)
    }

    func stdioServer(_ suffix: String) async throws -> String {
        try await container(suffix, ["python", "-u", "-c", Self.serverScript])
    }

    static func run(_ body: (BackendFixture) async throws -> Void) async throws {
        let docker = try DockerClient()
        try #require(await docker.ping(), """
            No Docker engine answers at \(docker.host). Start one and export DOCKER_HOST with: \
            eval "$(scripts/docker-engine.sh)"
            """)
        try await baseImage.value.get()
        let fixture = BackendFixture(docker: docker)
        let outcome: Result<Void, any Error>
        do {
            try await body(fixture)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        for container in (try? await docker.listContainers(all: true, labels: [fixture.label])) ?? [] {
            try? await docker.removeContainer(container.id, force: true)
        }
        try outcome.get()
    }

    /// The image the tests run in; built by the repository's script when missing, as the e2e
    /// suite does (the script does nothing when the image is up to date).
    static let baseImage = Task { () -> Result<Void, any Error> in
        do {
            if try await DockerClient().inspectImage(image) != nil { return .success(()) }
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("scripts/python-base-image.sh")
            let process = Process()
            process.executableURL = script
            let status = await withCheckedContinuation { continuation in
                process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
                do { try process.run() } catch { continuation.resume(returning: -1) }
            }
            guard status == 0 else { return .failure(BaseImageMissing(status: status)) }
            return .success(())
        } catch {
            return .failure(error)
        }
    }
}
