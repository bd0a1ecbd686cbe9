import CapstanAudit
import CapstanCore
import CapstanDocker
import CapstanGateway
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

/// The MCP gateway against a direct stdio session to the same backend (added latency), under
/// concurrent clients with every call audited (throughput, audit rows checked), beside a Python
/// aggregating proxy on the same containers (`--proxy PATH` to sparfenyuk's `mcp-proxy`), and
/// the resident memory of a `capstan gateway` process holding `--listeners` sessions with open
/// event streams (`--capstan PATH`). The backends are `scripts/bench_mcp_server.py` in
/// containers of `python:3.11-slim-bookworm`, network `none`.
///
/// Only one party is attached to a container at a time: the engine sends a container's output
/// to every attached stream, so a second one would hear (and pay for) the other's answers.
func gatewayBenchmark(_ args: [String]) async throws {
    let seconds = Double(option("--seconds", args, default: 10))
    let clients = option("--clients", args, default: 16)
    let servers = max(1, option("--servers", args, default: 1))
    let calls = option("--calls", args, default: 3000)
    let listeners = option("--listeners", args, default: 100)
    let proxy = stringOption("--proxy", args)
    let capstan = stringOption("--capstan", args)
    let cores = ProcessInfo.processInfo.activeProcessorCount

    let docker = try DockerClient()
    let script = try String(contentsOfFile: "scripts/bench_mcp_server.py", encoding: .utf8)
    let containers = (0..<servers).map { "capstan-bench-echo-\($0)" }
    let work = NSTemporaryDirectory() + "capstan-gateway-bench-\(ProcessInfo.processInfo.processIdentifier)"
    try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: work) }

    for name in containers {
        if try await docker.inspectContainer(name) != nil { try await docker.removeContainer(name, force: true) }
        let spec = ContainerSpec(image: "python:3.11-slim-bookworm", cmd: ["python3", "-u", "-c", script], openStdin: true,
                                 stdinOnce: false, tty: false, hostConfig: HostConfig(networkMode: "none", init: true))
        _ = try await docker.createContainer(name: name, spec: spec)
        try await docker.startContainer(name)
    }
    print("gateway benchmark: \(cores) cores, \(servers) backend container(s) of scripts/bench_mcp_server.py, "
          + "\(clients) clients for \(Int(seconds)) s, \(calls) sequential calls per latency run; load average \(loadAverage())")

    do {
        // 1. Direct stdio session, then the gateway, then direct again (drift between the two).
        progress("direct stdio latency")
        let direct1 = try await directLatency(docker: docker, container: containers[0], calls: calls)
        let gatewayResult = try await measureInProcessGateway(docker: docker, containers: containers, work: work,
                                                              calls: calls, clients: clients, seconds: seconds)
        progress("direct stdio latency again")
        let direct2 = try await directLatency(docker: docker, container: containers[0], calls: calls)
        let direct = direct1 + direct2
        print("\nlatency, sequential tools/call to \(containers[0]), \(calls) calls per run after 300 warm-up calls:")
        printDistribution("direct stdio (attach), run before", direct1)
        printDistribution("direct stdio (attach), run after", direct2)
        printDistribution("direct stdio (attach), both", direct)
        printDistribution("through the gateway (HTTP keep-alive)", gatewayResult.latency)
        printDifference("added by the gateway", gatewayResult.latency, direct)
        print("\nthroughput, \(clients) clients over \(servers) server(s), \(Int(seconds)) s:")
        printLoad("gateway", gatewayResult.load)
        print("  audit: \(gatewayResult.auditRows) call rows for \(gatewayResult.callsMade) tools/call sent "
              + (gatewayResult.auditRows == gatewayResult.callsMade ? "(equal)" : "(MISMATCH)"))

        // 2. The Python proxy on the same containers.
        if let proxy {
            let result = try await measureProxy(proxy, docker: docker, containers: containers, work: work, calls: calls, clients: clients, seconds: seconds)
            print("\nmcp-proxy (\(proxy)), same containers through `docker attach --sig-proxy=false`:")
            printDistribution("latency through mcp-proxy", result.latency)
            printDifference("added by mcp-proxy over direct", result.latency, direct)
            printLoad("mcp-proxy throughput, \(clients) clients", result.load)
        }

        // 3. Resident memory of a `capstan gateway` process with many sessions and event streams.
        if let capstan, listeners > 0 {
            try await measureResidentMemory(capstan: capstan, containers: containers, work: work, listeners: listeners)
        }
    } catch {
        for name in containers { try? await docker.removeContainer(name, force: true) }
        throw error
    }
    for name in containers { try await docker.removeContainer(name, force: true) }
    print("\nload average at the end: \(loadAverage())")
}

func loadAverage() -> String {
    ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?").split(separator: " ").prefix(3).joined(separator: " ")
}

func stringOption(_ name: String, _ args: [String]) -> String? {
    guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
    return args[i + 1]
}

// MARK: Direct

/// Sequential tools/call round trips on a stdio session of our own to the container: the bench
/// attached to it exactly as the gateway's backend is. Returns milliseconds per call.
func directLatency(docker: DockerClient, container: String, calls: Int) async throws -> [Double] {
    let stream = try await docker.attach(container)
    let session = DirectSession(stream: stream)
    defer { stream.close() }
    return try await onThread("bench-direct") {
        _ = try session.roundTrip(#"{"jsonrpc":"2.0","id":"d0","method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}"#, id: "d0")
        try session.write(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        var latencies: [Double] = []
        latencies.reserveCapacity(calls)
        for i in 1...(300 + calls) {
            let id = "d\(i)"
            let start = nowNanoseconds()
            let line = try session.roundTrip(#"{"jsonrpc":"2.0","id":"\#(id)","method":"tools/call","params":{"name":"echo","arguments":{"text":"hello from the capstan benchmark","n":\#(i)}}}"#, id: id)
            let elapsed = nowNanoseconds() - start
            guard contains(line, Array(#""isError":false"#.utf8)) else { throw BenchError("direct call failed: \(String(decoding: line, as: UTF8.self))") }
            if i > 300 { latencies.append(Double(elapsed) / 1e6) }
        }
        return latencies
    }
}

/// The bench's own stdio session: lines from the attach stream's reader thread land in an inbox
/// that the calling thread waits on.
final class DirectSession: Sendable {
    private final class Inbox: Sendable {
        let lines = Mutex<[[UInt8]]>([])
        let arrived = DispatchSemaphore(value: 0)
        let ended = Atomic<Bool>(false)
    }

    private let stream: AttachedStream
    private let inbox = Inbox()

    init(stream: AttachedStream) {
        self.stream = stream
        stream.start(line: { [inbox] output, bytes in
            guard output == .stdout else { return }
            inbox.lines.withLock { $0.append(bytes) }
            inbox.arrived.signal()
        }, end: { [inbox] _ in
            inbox.ended.store(true, ordering: .releasing)
            inbox.arrived.signal()
        })
    }

    func write(_ line: String) throws {
        try stream.write(Array((line + "\n").utf8))
    }

    /// Sends `line` and returns the answer whose id is `id`.
    func roundTrip(_ line: String, id: String) throws -> [UInt8] {
        try write(line)
        let marker = Array(#""id":"\#(id)""#.utf8)
        while true {
            if inbox.arrived.wait(timeout: .now() + 30) == .timedOut { throw BenchError("no answer to \(id) within 30 s") }
            if inbox.ended.load(ordering: .acquiring) { throw BenchError("the attach stream ended") }
            let lines = inbox.lines.withLock { lines in defer { lines.removeAll() }; return lines }
            if let answer = lines.first(where: { contains($0, marker) }) { return answer }
        }
    }
}

// MARK: The gateway in this process

struct GatewayRun {
    var latency: [Double]
    var load: LoadRun
    var callsMade: Int
    var auditRows: Int
}

func measureInProcessGateway(docker: DockerClient, containers: [String], work: String, calls: Int, clients: Int,
                             seconds: Double) async throws -> GatewayRun {
    let store = try AuditStore(path: work + "/audit.db")
    let writer = AuditCallWriter(store: store)
    let token = "capstan-bench-token-\(UInt64.random(in: 0...UInt64.max))"
    let gateway = Gateway(initialRoutes: VersionedRouteTable(generation: 1, table: benchRoutes(containers, token: token)),
                          auditor: writer, backendFactory: GatewayBackends.factory(docker: docker))
    let server = try GatewayServer(gateway: gateway, configuration: GatewayConfiguration(host: "127.0.0.1", port: 0), admin: nil)
    let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
    let app = server.makeMCPApplication { port in portContinuation.yield(port) }
    let group = ServiceGroup(services: [app], logger: Logger(label: "capstan-bench"))
    let running = Task { try await group.run() }
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next() else { throw BenchError("the gateway did not start") }

    let counter = CallCounter()
    let target: @Sendable (Int) -> MCPTarget = { i in MCPTarget(port: port, path: "/mcp", token: token, tool: "echo\(i % containers.count)__echo") }
    progress("gateway latency")
    let latency = try await sequentialLatency(target(0), counter: counter, calls: calls)
    progress("gateway throughput")
    let engine = try await enginePIDs(docker: docker, containers: containers)
    let account = CPUAccount(processes: engine, threads: [
        ("gateway (bench process, all but client threads)", { !$0.hasPrefix("bench-client") }),
        ("load clients", { $0.hasPrefix("bench-client") }),
    ])
    let load = try await runLoad(clients: clients, seconds: seconds, counter: counter, account: account, target: target)

    await writer.flush()
    let rows = try await store.callCount()
    await gateway.shutdown()
    await group.triggerGracefulShutdown()
    _ = await running.result
    await writer.close()
    return GatewayRun(latency: latency, load: load, callsMade: counter.count, auditRows: rows)
}

func benchRoutes(_ containers: [String], token: String) -> RouteTable {
    RouteTable(
        servers: containers.indices.map { RouteServer(name: "echo\($0)", transport: .stdio, container: containers[$0], timeoutMilliseconds: 30_000) },
        clients: [RouteClient(name: "bench", tokenHash: Gateway.tokenHash(token),
                              rules: [RouteRule(server: "*", tools: ["*"], effect: .allow, policy: "bench")])])
}

// MARK: Load

/// One client, sequential calls after a warm-up; milliseconds per call.
func sequentialLatency(_ target: MCPTarget, counter: CallCounter, calls: Int) async throws -> [Double] {
    try await onThread("bench-latency") {
        let client = try MCPLoadClient(target, counter: counter)
        try client.initialize()
        for _ in 0..<300 { try client.call() }
        var latencies: [Double] = []
        latencies.reserveCapacity(calls)
        for _ in 0..<calls {
            let start = nowNanoseconds()
            try client.call()
            latencies.append(Double(nowNanoseconds() - start) / 1e6)
        }
        return latencies
    }
}

struct LoadRun {
    var calls: Int
    var seconds: Double
    var latency: [Double]
    var perClient: [Int]
    /// Where the CPU time went, per party.
    var cpu: String?
}

/// `clients` threads, each with its own connection and session, calling back to back for
/// `seconds`. Sessions are opened (and one call made each) before the clock starts.
func runLoad(clients: Int, seconds: Double, counter: CallCounter, account: CPUAccount,
             target: @escaping @Sendable (Int) -> MCPTarget) async throws -> LoadRun {
    final class Shared: Sendable {
        let results = Mutex<[(calls: Int, latency: [Double])]>([])
        let errors = Mutex<[String]>([])
        let deadline = Atomic<UInt64>(0)
    }
    return try await onThread("bench-load") {
        let shared = Shared()
        // Threads stop calling (finished), wait while the coordinator samples the CPU times
        // (an exited thread leaves /proc/self/task), then exit (done).
        let ready = DispatchGroup(), finished = DispatchGroup(), done = DispatchGroup()
        let go = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        for i in 0..<clients {
            ready.enter()
            finished.enter()
            done.enter()
            let thread = Thread {
                nameThread("bench-client-\(i)")
                defer { done.leave() }
                let client: MCPLoadClient
                do {
                    client = try MCPLoadClient(target(i), counter: counter)
                    try client.initialize()
                    try client.call()
                } catch {
                    shared.errors.withLock { $0.append("client \(i): \(error)") }
                    ready.leave()
                    finished.leave()
                    return
                }
                ready.leave()
                go.wait()
                let deadline = shared.deadline.load(ordering: .acquiring)
                var latency: [Double] = []
                latency.reserveCapacity(Int(seconds) * 2000)
                var now = nowNanoseconds()
                while now < deadline {
                    do {
                        try client.call()
                    } catch {
                        shared.errors.withLock { $0.append("client \(i): \(error)") }
                        break
                    }
                    let end = nowNanoseconds()
                    latency.append(Double(end - now) / 1e6)
                    now = end
                }
                shared.results.withLock { $0.append((latency.count, latency)) }
                finished.leave()
                release.wait()
            }
            thread.start()
        }
        ready.wait()
        let before = account.sample()
        let start = nowNanoseconds()
        shared.deadline.store(start + UInt64(seconds * 1e9), ordering: .releasing)
        for _ in 0..<clients { go.signal() }
        finished.wait()
        let elapsed = Double(nowNanoseconds() - start) / 1e9
        let after = account.sample()
        for _ in 0..<clients { release.signal() }
        done.wait()
        if let first = shared.errors.withLock({ $0.first }) { throw BenchError(first) }
        let results = shared.results.withLock { $0 }
        let calls = results.map(\.calls).reduce(0, +)
        return LoadRun(calls: calls, seconds: elapsed, latency: results.flatMap(\.latency), perClient: results.map(\.calls),
                       cpu: account.report(from: before, to: after, calls: calls, wall: elapsed))
    }
}

// MARK: mcp-proxy

struct ProxyRun {
    var latency: [Double]
    var load: LoadRun
}

/// sparfenyuk's mcp-proxy serving one named server per container over Streamable HTTP, each a
/// `docker attach --sig-proxy=false` of the container as its stdio command.
func measureProxy(_ executable: String, docker: DockerClient, containers: [String], work: String, calls: Int, clients: Int,
                  seconds: Double) async throws -> ProxyRun {
    let port = try freePort()
    var arguments = ["--host", "127.0.0.1", "--port", String(port), "--pass-environment", "--log-level", "WARNING"]
    for (i, name) in containers.enumerated() {
        arguments += ["--named-server", "s\(i)", "docker attach --sig-proxy=false \(name)"]
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    _ = FileManager.default.createFile(atPath: work + "/mcp-proxy.log", contents: nil)
    let log = try FileHandle(forWritingTo: URL(fileURLWithPath: work + "/mcp-proxy.log"))
    process.standardOutput = log
    process.standardError = log
    try process.run()
    defer {
        // Its `docker attach` children ignore SIGTERM (--sig-proxy=false) and the proxy waits
        // for them when told to stop: end them first, by pid.
        for child in childProcesses(of: process.processIdentifier) { kill(child, SIGKILL) }
        stop(process)
    }
    try await waitForPort(port, process: process)
    progress("mcp-proxy latency")

    let counter = CallCounter()
    let target: @Sendable (Int) -> MCPTarget = { i in MCPTarget(port: port, path: "/servers/s\(i % containers.count)/mcp", token: nil, tool: "echo") }
    let latency = try await sequentialLatency(target(0), counter: counter, calls: calls)
    progress("mcp-proxy throughput")
    let engine = try await enginePIDs(docker: docker, containers: containers)
    let account = CPUAccount(processes: [("mcp-proxy", [process.processIdentifier]),
                                         ("its docker attach CLIs", childProcesses(of: process.processIdentifier))] + engine,
                             threads: [("load clients", { $0.hasPrefix("bench-client") })])
    let load = try await runLoad(clients: clients, seconds: seconds, counter: counter, account: account, target: target)
    return ProxyRun(latency: latency, load: load)
}

/// The engine's processes and the bench containers' (shim, init and server), for CPU accounts.
func enginePIDs(docker: DockerClient, containers: [String]) async throws -> [(String, [Int32])] {
    var shims: [Int32] = [], servers: [Int32] = []
    for name in containers {
        guard let pid = try await docker.inspectContainer(name)?.state.pid, pid > 0 else { continue }
        let initPID = Int32(pid)
        if let parent = procStat("/proc/\(initPID)/stat")?.parent { shims.append(parent) }
        servers += [initPID] + childProcesses(of: initPID)
    }
    return [("dockerd", processes(named: "dockerd")), ("containerd", processes(named: "containerd")),
            ("shims", shims), ("backend (init + python)", servers)]
}

/// SIGTERM, then SIGKILL after 10 s. (`waitUntilExit` spins a run loop: poll instead.)
func stop(_ process: Process) {
    process.terminate()
    for _ in 0..<100 where process.isRunning { usleep(100_000) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    while process.isRunning { usleep(50_000) }
}

func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard ok else { throw BenchError("no free port") }
    return Int(UInt16(bigEndian: address.sin_port))
}

func waitForPort(_ port: Int, process: Process, timeout: Duration = .seconds(60)) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if (try? LoadConnection(port: port)) != nil { return }
        guard process.isRunning else { throw BenchError("\(process.executableURL?.path ?? "") exited with \(process.terminationStatus)") }
        try await Task.sleep(for: .milliseconds(100))
    }
    throw BenchError("nothing listens on 127.0.0.1:\(port) after \(timeout)")
}

// MARK: Resident memory

/// A `capstan gateway` process: routes through its admin socket, then `listeners` clients each
/// with a session (and one call) on one connection and its GET event stream open on another.
func measureResidentMemory(capstan: String, containers: [String], work: String, listeners: Int) async throws {
    let state = work + "/gateway-state"
    let port = try freePort()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: capstan)
    process.arguments = ["gateway", "--listen", "127.0.0.1:\(port)", "--state-dir", state]
    _ = FileManager.default.createFile(atPath: work + "/capstan-gateway.log", contents: nil)
    let log = try FileHandle(forWritingTo: URL(fileURLWithPath: work + "/capstan-gateway.log"))
    process.standardOutput = log
    process.standardError = log
    try process.run()
    defer { stop(process) }
    try await waitForPort(port, process: process)
    let socket = state + "/gateway.sock"
    while !GatewayAdminClient.isListening(socket: socket) { try await Task.sleep(for: .milliseconds(50)) }
    let token = "capstan-bench-token-\(UInt64.random(in: 0...UInt64.max))"
    let admin = GatewayAdminClient(endpoint: .unixSocket(path: socket))
    let current = try await admin.currentRoutes()
    _ = try await admin.replaceRoutes(benchRoutes(containers, token: token), ifMatch: current.generation)
    let pid = process.processIdentifier
    try await Task.sleep(for: .seconds(1))
    let idle = try memoryStatus(pid)
    progress("resident memory: \(listeners) sessions")

    let counter = CallCounter()
    let held = try await onThread("bench-listeners") { () -> [MCPLoadClient] in
        var held: [MCPLoadClient] = []
        for i in 0..<listeners {
            let target = MCPTarget(port: port, path: "/mcp", token: token, tool: "echo\(i % containers.count)__echo")
            let client = try MCPLoadClient(target, counter: counter)
            try client.initialize()
            try client.call()
            held.append(client)
        }
        return held
    }
    // The GET streams belong to the same sessions, each on a connection of its own.
    progress("resident memory: opening \(listeners) GET streams")
    let streams = try await onThread("bench-streams") { () -> [MCPLoadClient] in
        try held.map { client in
            let stream = try MCPLoadClient(client.target, counter: counter)
            stream.adopt(sessionOf: client)
            try stream.listen()
            return stream
        }
    }
    progress("resident memory: \(listeners) streams open")
    try await Task.sleep(for: .seconds(2))
    let connected = try memoryStatus(pid)
    // Every client calls again, with the sessions and streams held.
    _ = try await onThread("bench-listeners-calls") {
        for client in held { for _ in 0..<10 { try client.call() } }
    }
    try await Task.sleep(for: .seconds(2))
    let after = try memoryStatus(pid)
    print("\nresident memory of the `capstan gateway` process (pid \(pid), VmRSS from /proc), \(containers.count) backend(s):")
    print("  idle with routes: VmRSS \(idle.rss), VmHWM \(idle.hwm)")
    print("  \(listeners) clients with sessions + \(streams.count) open GET streams: VmRSS \(connected.rss), VmHWM \(connected.hwm), \(connected.threads) threads")
    print("  after 10 more calls from each client: VmRSS \(after.rss), VmHWM \(after.hwm)")
    withExtendedLifetime((held, streams)) {}
}

/// VmRSS (with its anonymous and file-backed parts), VmHWM and the thread count of a process.
func memoryStatus(_ pid: Int32) throws -> (rss: String, hwm: String, threads: String) {
    let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
    func field(_ name: String) -> String {
        status.split(separator: "\n").first { $0.hasPrefix(name + ":") }
            .map { $0.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces) } ?? "?"
    }
    func mib(_ kb: String) -> String {
        guard let value = Double(kb.split(separator: " ").first ?? "") else { return kb }
        return String(format: "%.1f MiB", value / 1024)
    }
    return ("\(mib(field("VmRSS"))) (anon \(mib(field("RssAnon"))), file \(mib(field("RssFile"))))",
            mib(field("VmHWM")), field("Threads"))
}

// MARK: Printing

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted[min(sorted.count - 1, Int(p * Double(sorted.count)))]
}

func printDistribution(_ what: String, _ values: [Double]) {
    let sorted = values.sorted()
    print(String(format: "  %@: median %.3f ms, p90 %.3f ms, p99 %.3f ms, mean %.3f ms (n=%d)",
                 what, percentile(sorted, 0.5), percentile(sorted, 0.9), percentile(sorted, 0.99),
                 sorted.reduce(0, +) / Double(sorted.count), sorted.count))
}

func printDifference(_ what: String, _ values: [Double], _ baseline: [Double]) {
    let a = values.sorted(), b = baseline.sorted()
    print(String(format: "  %@: median %+.3f ms, p90 %+.3f ms, p99 %+.3f ms",
                 what, percentile(a, 0.5) - percentile(b, 0.5), percentile(a, 0.9) - percentile(b, 0.9),
                 percentile(a, 0.99) - percentile(b, 0.99)))
}

func printLoad(_ what: String, _ load: LoadRun) {
    let sorted = load.latency.sorted()
    print(String(format: "  %@: %.0f tools/call per second (%d calls in %.2f s; per client %d..%d); latency under load median %.2f ms, p99 %.2f ms",
                 what, Double(load.calls) / load.seconds, load.calls, load.seconds, load.perClient.min() ?? 0,
                 load.perClient.max() ?? 0, percentile(sorted, 0.5), percentile(sorted, 0.99)))
    if let cpu = load.cpu { print(cpu) }
}
