@testable import CapstanAudit
import Foundation
import GRDB
import Synchronization

/// A fresh directory under the system temp directory, removed by `remove()`.
struct TempDir {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("capstan-audit-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// A store path one level down, so that opening must create the state directory.
    var storePath: String { path + "/state/audit.sqlite" }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// A clock that moves `step` seconds on every reading.
final class StepClock: Sendable {
    static let start = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z
    private let next: Mutex<Date>
    private let step: TimeInterval

    init(step: TimeInterval = 1) {
        next = Mutex(Self.start)
        self.step = step
    }

    func now() -> Date {
        next.withLock { next in
            defer { next += step }
            return next
        }
    }
}

enum Sample {
    static let runID = "run-1"
    static let actions = [
        AuditAction(runID: runID, address: "image.weather", kind: "build", beforeHash: nil,
                    afterHash: "sha256:aaaa", outcome: .succeeded, error: nil, durationMs: 1234),
        AuditAction(runID: runID, address: "server.weather", kind: "create", beforeHash: "sha256:bbbb",
                    afterHash: "sha256:cccc", outcome: .failed, error: "port 8000 already in use", durationMs: 56),
        AuditAction(runID: runID, address: "server.time", kind: "start", beforeHash: "sha256:dddd",
                    afterHash: nil, outcome: .skipped, error: "depends on a failed action", durationMs: 0),
    ]
    static let run = AuditRun(
        id: runID, revision: "0123456789abcdef0123456789abcdef01234567", trigger: .cli,
        startedAt: Date(timeIntervalSince1970: 1_767_225_600.123), finishedAt: Date(timeIntervalSince1970: 1_767_225_601.456),
        result: .partial)

    /// A run with three actions, written as the applier writes them: actions first, run last.
    static func appendRun(to store: AuditStore) async throws -> [AuditEntry] {
        var entries: [AuditEntry] = []
        for action in actions { entries.append(try await store.append(.action(action))) }
        entries.append(try await store.append(.run(run)))
        return entries
    }
}

/// Edits the file as an attacker with plain SQLite would: drop the append-only triggers, then
/// run `sql`.
func tamper(_ path: String, _ sql: String) throws {
    let db = try DatabaseQueue(path: path)
    try db.write { db in
        try db.execute(sql: "DROP TRIGGER entries_no_update; DROP TRIGGER entries_no_delete;")
        try db.execute(sql: sql)
    }
    try db.close()
}
