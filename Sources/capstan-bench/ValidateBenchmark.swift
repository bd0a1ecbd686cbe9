import CapstanCore
import Foundation

/// Writes a repository of `count` manifests: a tenth Projects (each with a context and a
/// Dockerfile), half Servers, a fifth Clients and a fifth Policies, four documents per file.
func generateRepository(at root: URL, count: Int) throws {
    let fm = FileManager.default
    try? fm.removeItem(at: root)
    try fm.createDirectory(at: root, withIntermediateDirectories: true)
    let projects = count / 10, servers = count / 2, clients = count / 5
    let policies = count - projects - servers - clients
    var documents: [String] = []
    for i in 0..<projects {
        let dir = root.appendingPathComponent("projects/p\(i)")
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        try "FROM python:3.11-slim-bookworm\n".write(to: dir.appendingPathComponent("Dockerfile"), atomically: false, encoding: .utf8)
        documents.append("""
            apiVersion: capstan/v1
            kind: Project
            metadata: {name: p\(i), labels: {team: t\(i % 7)}}
            spec:
              context: projects/p\(i)
              buildArgs: {PYTHON_VERSION: "3.11"}
            """)
    }
    for i in 0..<servers {
        let source = i % 2 == 0 && projects > 0 ? "project: p\(i % projects)" : "image: registry.local:5000/mcp/s\(i):1.\(i % 10)"
        documents.append("""
            apiVersion: capstan/v1
            kind: Server
            metadata:
              name: s\(i)
              labels: {team: t\(i % 7)}
            spec:
              \(source)
              transport: stdio
              command: ["--verbose", "--level", 3]
              env: {LOG_LEVEL: info, FEATURE: no}
              secrets:
                - {env: API_KEY, secret: key-\(i % 50)}
              resources: {cpus: 0.5, memory: 256Mi, pids: 128}
              tools: [get_forecast, get_alerts, search_\(i)]
            """)
    }
    for i in 0..<clients {
        let hash = String(repeating: String(i % 16, radix: 16), count: 64)
        documents.append("""
            apiVersion: capstan/v1
            kind: Client
            metadata: {name: c\(i), labels: {team: t\(i % 7)}}
            spec: {app: claude-code, tokenHash: "sha256:\(hash)"}
            """)
    }
    for i in 0..<policies {
        documents.append("""
            apiVersion: capstan/v1
            kind: Policy
            metadata: {name: pol\(i)}
            spec:
              clients: [c\(i % max(clients, 1))]
              selector: {matchLabels: {team: t\(i % 7)}}
              rules:
                - {server: s\(i % max(servers, 1)), tools: ["get_*", search_\(i % max(servers, 1))], effect: allow}
                - {server: "*", tools: ["delete_*"], effect: deny}
            """)
    }
    let perFile = 4
    for start in stride(from: 0, to: documents.count, by: perFile) {
        let text = documents[start..<min(start + perFile, documents.count)].joined(separator: "\n---\n") + "\n"
        let dir = root.appendingPathComponent("manifests/\(start / 400)")
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        try text.write(to: dir.appendingPathComponent("m\(start / perFile).yaml"), atomically: false, encoding: .utf8)
    }
}

/// `validate` on a generated repository: the figure for "10,000 manifests under 1 s".
func validateBenchmark(manifests: Int, runs: Int, keep: String?) throws {
    let root = URL(fileURLWithPath: keep ?? NSTemporaryDirectory() + "capstan-bench-\(ProcessInfo.processInfo.processIdentifier)")
    try generateRepository(at: root, count: manifests)
    defer { if keep == nil { try? FileManager.default.removeItem(at: root) } }

    var timings: [Double] = []
    for _ in 0..<runs {
        var result: LoadResult?
        let elapsed = ContinuousClock().measure { result = ManifestLoader.load(DirectoryTree(root: root.path)) }
        guard let result, result.isValid, result.manifests.count == manifests else {
            throw BenchError("benchmark repository did not validate: \(result?.diagnostics.prefix(3).map(\.message) ?? [])")
        }
        timings.append(elapsed.seconds)
    }
    report("validate \(manifests) manifests", timings)
}
