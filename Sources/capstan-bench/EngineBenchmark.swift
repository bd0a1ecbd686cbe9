import CapstanDocker
import Foundation

/// Against the real engine: `capstan apply` of N servers from an empty host, compared in the
/// same run with (a) a shell loop of `docker run -d` and (b) the same create+start calls sent
/// straight to the Engine API with the same concurrency; then a no-op `capstan plan` with the
/// N containers running.
func engineBenchmark(servers: Int, concurrency: Int) async throws {
    let capstan = FileManager.default.currentDirectoryPath + "/.build/release/capstan"
    guard FileManager.default.isExecutableFile(atPath: capstan) else {
        throw BenchError("build the release CLI first: swift build -c release --product capstan")
    }
    let client = try DockerClient()
    let image = "python:3.11-slim-bookworm"
    let command = ["python3", "-c", "import time; time.sleep(1000000)"]
    let work = URL(fileURLWithPath: NSTemporaryDirectory() + "capstan-engine-bench-\(ProcessInfo.processInfo.processIdentifier)")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: work) }

    func removeAll(prefix: String) async throws {
        for c in try await client.listContainers(all: true) where c.names.contains(where: { $0.hasPrefix(prefix) }) {
            try await client.removeContainer(c.id, force: true)
        }
    }
    func timed(_ body: () async throws -> Void) async rethrows -> Double {
        let start = ContinuousClock.now
        try await body()
        return (ContinuousClock.now - start).seconds
    }
    for prefix in ["bench-loop-", "bench-api-", "benchcap-"] { try await removeAll(prefix: prefix) }

    // (a) a shell loop of docker run -d
    let loop = (0..<servers).map { "docker run -d --network none --name bench-loop-\($0) \(image) \(command.map { "'\($0)'" }.joined(separator: " ")) >/dev/null" }
        .joined(separator: "\n")
    let a = try await timed { try run("/bin/sh", ["-c", "set -e\n" + loop]) }
    try await removeAll(prefix: "bench-loop-")

    // (b) create+start straight to the Engine API, same hardening as capstan, bounded concurrency
    let host = HostConfig(networkMode: "none", readonlyRootfs: true, tmpfs: ["/tmp": "rw,noexec,nosuid,nodev,size=64m"],
                          capDrop: ["ALL"], securityOpt: ["no-new-privileges:true"], pidsLimit: 128, memory: 256 << 20)
    let b = try await timed {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<servers {
                if i >= concurrency { try await group.next() }
                group.addTask {
                    let spec = ContainerSpec(image: image, cmd: command, openStdin: true, hostConfig: host)
                    let id = try await client.createContainer(name: "bench-api-\(i)", spec: spec)
                    try await client.startContainer(id)
                }
            }
            try await group.waitForAll()
        }
    }
    try await removeAll(prefix: "bench-api-")

    // (c) capstan apply from a git repository of N servers
    let repo = work.appendingPathComponent("repo")
    try FileManager.default.createDirectory(at: repo, withIntermediateDirectories: true)
    try "instance: benchcap\n".write(to: repo.appendingPathComponent("capstan.yaml"), atomically: false, encoding: .utf8)
    let manifests = (0..<servers).map { i in
        "apiVersion: capstan/v1\nkind: Server\nmetadata: {name: s\(i)}\nspec:\n  image: \(image)\n  command: [\(command.map { "\"\($0)\"" }.joined(separator: ", "))]\n"
    }.joined(separator: "---\n")
    try manifests.write(to: repo.appendingPathComponent("servers.yaml"), atomically: false, encoding: .utf8)
    try run("/bin/sh", ["-c", "cd '\(repo.path)' && git init -q -b main && git add -A && git -c user.name=b -c user.email=b@example.invalid commit -qm bench"])
    let source = ["--repo", repo.path, "--ref", "main", "--state-dir", work.appendingPathComponent("state").path]
    let c = try await timed { try run(capstan, ["apply", "--auto-approve", "--concurrency", String(concurrency)] + source) }

    var noop: [Double] = []
    for _ in 0..<11 {
        noop.append(try await timed { try run(capstan, ["plan", "--detailed-exitcode"] + source) })
    }
    try await removeAll(prefix: "benchcap-")

    print(String(format: "apply %d servers from empty (concurrency %d): capstan %.2f s; (a) docker run loop %.2f s; (b) Engine API direct %.2f s",
                 servers, concurrency, c, a, b))
    print(String(format: "  capstan / (b) = %.2f (target <= 1.15); capstan / (a) = %.2f (target <= 0.70)", c / b, c / a))
    report("no-op capstan plan with \(servers) owned containers running, end to end", noop)
}

/// Runs a program to completion; output is discarded, a non-zero exit is an error.
@discardableResult
func run(_ path: String, _ arguments: [String]) throws -> Int32 {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = arguments
    p.standardOutput = FileHandle.nullDevice
    let errors = Pipe()
    p.standardError = errors
    try p.run()
    let stderr = errors.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else {
        throw BenchError("\(path) \(arguments.prefix(3).joined(separator: " ")) exited \(p.terminationStatus): \(String(decoding: stderr, as: UTF8.self).suffix(500))")
    }
    return p.terminationStatus
}
