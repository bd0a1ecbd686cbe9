import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Hummingbird
import Synchronization
import Testing
@testable import CapstanGateway

/// The bridge between pipes (the app's stdin and stdout) and a real gateway listening on
/// loopback, with backends from memory: the shell that performs `BridgeLink`'s decisions.
/// The same with real MCP servers, the Python SDK's stdio client and a killed gateway process
/// is Tests/e2e/test_bridge.py.
@Suite(.serialized) struct BridgeGatewayTests {
    /// A gateway on a fixed loopback port, for as long as its task runs.
    struct LiveGateway {
        let gateway: Gateway
        let task: Task<Void, any Error>

        static func start(port: Int) async throws -> LiveGateway {
            let gateway = GatewayFixture.gateway(RecordingAuditor())
            let server = try GatewayServer(gateway: gateway, configuration: GatewayConfiguration(port: port), admin: nil)
            let (bound, announce) = AsyncStream.makeStream(of: Int.self)
            let app = server.makeMCPApplication { port in announce.yield(port) }
            let task = Task { try await app.run() }
            for await _ in bound { break }
            return LiveGateway(gateway: gateway, task: task)
        }

        /// Gone, sessions and all, as a restarted gateway process forgets them.
        func stop() async {
            gateway.endStreams()
            task.cancel()
            _ = await task.result
        }
    }

    /// The app's side of the pipes: lines to the bridge, and every line that came back.
    final class App: Sendable {
        let toBridge: Int32
        let fromBridge: Int32
        let bridgeInput: Int32
        let bridgeOutput: Int32
        let received = Mutex<[JSONValue]>([])
        let raw = Mutex<[[UInt8]]>([])

        init() throws {
            var input: [Int32] = [0, 0], output: [Int32] = [0, 0]
            try #require(pipe(&input) == 0 && pipe(&output) == 0)
            (bridgeInput, toBridge, fromBridge, bridgeOutput) = (input[0], input[1], output[0], output[1])
            LineReader.start(descriptor: fromBridge, onLine: { [self] line in
                guard case .line(let bytes) = line else { return }
                raw.withLock { $0.append(bytes) }
                if let value = try? JSONParser.parse(bytes) { received.withLock { $0.append(value) } }
            }, onEnd: {})
        }

        func send(_ text: String) {
            let bytes = Array((text + "\n").utf8)
            _ = bytes.withUnsafeBytes { write(toBridge, $0.baseAddress, $0.count) }
        }

        func request(_ id: Int, _ method: String, _ params: String = "{}") {
            send(#"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)","params":\#(params)}"#)
        }

        func answer(_ id: Int, within limit: Duration = .seconds(10)) async throws -> JSONValue {
            let deadline = ContinuousClock.now.advanced(by: limit)
            while ContinuousClock.now < deadline {
                let found = received.withLock { messages in
                    messages.first { $0["id"] == .int(id) && ($0["result"] != nil || $0["error"] != nil) }
                }
                if let found { return found }
                try await Task.sleep(for: .milliseconds(10))
            }
            throw AnswerMissing(id: id, received: received.withLock { $0.map(\.text) })
        }

        func closeInput() { close(toBridge) }
    }

    struct AnswerMissing: Error, CustomStringConvertible {
        var id: Int
        var received: [String]
        var description: String { "no answer to \(id); received \(received)" }
    }

    static let initialize = #"{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"app","version":"1"}}"#

    static func bridge(_ app: App, port: Int, token: String = GatewayFixture.aliceToken, retryTime: Duration = .seconds(5),
                       log: @escaping @Sendable (String) -> Void = { _ in }) throws -> Task<Void, Never> {
        let bridge = try Bridge(BridgeConfiguration(url: "http://127.0.0.1:\(port)/mcp", token: token, retryTime: retryTime),
                                input: app.bridgeInput, output: app.bridgeOutput, log: log)
        return Task { await bridge.run() }
    }

    static func text(_ answer: JSONValue) -> String? { answer["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue }

    @Test func aGatewayRestartIsInvisibleToTheAppButForAListChange() async throws {
        let port = try HTTPBackendTests.freePort()
        var gateway = try await LiveGateway.start(port: port)
        let app = try App()
        let logged = Mutex<[String]>([])
        let bridge = try Self.bridge(app, port: port) { line in logged.withLock { $0.append(line) } }

        app.request(0, "initialize", Self.initialize)
        let initialized = try await app.answer(0)
        #expect(initialized["result"]?["protocolVersion"] == .string("2025-11-25"))
        app.send(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        app.request(1, "tools/list")
        let names = try await app.answer(1)["result"]?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
        #expect(names == ["weather__get_forecast", "weather__get_alerts"])
        app.request(2, "tools/call", #"{"name":"weather__get_forecast","arguments":{"city":"Oslo"}}"#)
        #expect(Self.text(try await app.answer(2)) == #"weather.get_forecast {"city":"Oslo"}"#)

        await gateway.stop()
        gateway = try await LiveGateway.start(port: port)
        app.request(3, "tools/call", #"{"name":"weather__get_alerts","arguments":{}}"#)
        let third = try await app.answer(3)
        #expect(Self.text(third) == "weather.get_alerts {}", "\(third.text)")
        app.request(4, "ping")
        #expect(try await app.answer(4)["result"] == .object([:]))

        app.closeInput()
        await bridge.value
        await gateway.stop()
        let received = app.received.withLock { $0 }
        #expect(received.filter { $0["id"] == .int(0) }.count == 1, "the replayed initialize is not answered to the app")
        #expect(received.contains(.object(["jsonrpc": .string("2.0"), "method": .string("notifications/tools/list_changed")])))
        #expect(app.raw.withLock { $0 }.count == received.count, "every line on stdout is JSON")
        #expect(logged.withLock { $0 }.contains { $0.contains("opened a new session") })
    }

    @Test func aRefusedTokenAnswersInitializeWithAnErrorThatSaysSo() async throws {
        let port = try HTTPBackendTests.freePort()
        let gateway = try await LiveGateway.start(port: port)
        let app = try App()
        let token = "not-a-token-the-gateway-knows"
        let logged = Mutex<[String]>([])
        let bridge = try Self.bridge(app, port: port, token: token) { line in logged.withLock { $0.append(line) } }
        app.request(0, "initialize", Self.initialize)
        let refused = try await app.answer(0)
        #expect(refused["error"]?["data"]?["reason"] == .string("token-refused"))
        #expect(refused["error"]?["message"]?.stringValue?.contains("refused the bridge's token") == true)
        app.request(1, "tools/list")
        #expect(try await app.answer(1)["error"]?["data"]?["reason"] == .string("token-refused"))
        app.closeInput()
        await bridge.value
        await gateway.stop()
        #expect(!app.raw.withLock { $0.map { String(decoding: $0, as: UTF8.self) } }.contains { $0.contains(token) })
        #expect(!logged.withLock { $0 }.contains { $0.contains(token) })
    }
}
