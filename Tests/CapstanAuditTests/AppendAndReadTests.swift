@testable import CapstanAudit
import Foundation
import GRDB
import Testing

/// Appending runs and actions to a real SQLite file and reading them back.
struct AppendAndReadTests {
    @Test func runWithThreeActionsReadsBackWithEveryField() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let clock = StepClock()
        let store = try AuditStore(path: dir.storePath, now: clock.now)

        let appended = try await Sample.appendRun(to: store)
        let read = try await store.entries()

        #expect(read == appended)
        #expect(read.map(\.seq) == [1, 2, 3, 4])
        #expect(read.map(\.recordedAt) == (0..<4).map { StepClock.start.addingTimeInterval(Double($0)) })
        #expect(read[0].prevHash == String(repeating: "0", count: 64))
        for i in 1..<read.count { #expect(read[i].prevHash == read[i - 1].hash) }
        #expect(read.allSatisfy { $0.hash.count == 64 && $0.hash.allSatisfy(\.isHexDigit) })

        guard case .action(let create) = read[1].record, case .run(let run) = read[3].record else {
            Issue.record("unexpected kinds: \(read.map(\.record.kind))")
            return
        }
        #expect(create.runID == "run-1")
        #expect(create.address == "server.weather")
        #expect(create.kind == "create")
        #expect(create.beforeHash == "sha256:bbbb")
        #expect(create.afterHash == "sha256:cccc")
        #expect(create.outcome == .failed)
        #expect(create.error == "port 8000 already in use")
        #expect(create.durationMs == 56)
        #expect(read[0].record == .action(Sample.actions[0]))
        #expect(read[2].record == .action(Sample.actions[2]))

        #expect(run.id == "run-1")
        #expect(run.revision == "0123456789abcdef0123456789abcdef01234567")
        #expect(run.trigger == .cli)
        #expect(run.startedAt == Date(timeIntervalSince1970: 1_767_225_600.123))
        #expect(run.finishedAt == Date(timeIntervalSince1970: 1_767_225_601.456))
        #expect(run.result == .partial)

        #expect(try await store.verify() == .intact(rows: 4))
    }

    @Test func batchAppendIsOneStretchOfTheChain() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let store = try AuditStore(path: dir.storePath)

        let stored = try await store.append(contentsOf: Sample.actions.map(AuditRecord.action) + [.run(Sample.run)])

        #expect(stored.map(\.seq) == [1, 2, 3, 4])
        #expect(try await store.entries() == stored)
        #expect(try await store.verify() == .intact(rows: 4))
    }

    @Test func reopenedStoreLinksTheNextRowToTheLastHash() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let before = try await Sample.appendRun(to: AuditStore(path: dir.storePath))

        let reopened = try AuditStore(path: dir.storePath)
        let next = try await reopened.append(.action(Sample.actions[0]))

        #expect(next.seq == 5)
        #expect(next.prevHash == before[3].hash)
        #expect(try await reopened.verify() == .intact(rows: 5))
    }

    /// Two stores on one file stand in for two processes: their appends are serialized by
    /// SQLite's write lock, not by one pool's writer queue.
    @Test func concurrentAppendsNeverForkTheChain() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let store = try AuditStore(path: dir.storePath)
        let other = try AuditStore(path: dir.storePath)

        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                let store = task.isMultiple(of: 2) ? store : other
                group.addTask {
                    let runID = "run-\(task)"
                    for i in 0..<50 {
                        try await store.append(.action(AuditAction(
                            runID: runID, address: "server.s\(task)-\(i)", kind: "create", beforeHash: nil,
                            afterHash: "sha256:\(i)", outcome: .succeeded, error: nil, durationMs: Int64(i))))
                    }
                    try await store.append(.run(AuditRun(
                        id: runID, revision: "r", trigger: .poll, startedAt: Date(), finishedAt: Date(), result: .succeeded)))
                }
            }
            try await group.waitForAll()
        }

        #expect(try await store.verify() == .intact(rows: 408))
        let entries = try await store.entries()
        #expect(entries.map(\.seq) == Array(1...408))
        #expect(Set(entries.map(\.hash)).count == 408)
    }

    @Test func longErrorTextIsTruncatedWithAMarker() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let store = try AuditStore(path: dir.storePath)
        let long = String(repeating: "é", count: 10_000)  // 20 000 UTF-8 bytes

        try await store.append(.action(AuditAction(
            runID: "r", address: "server.a", kind: "build", beforeHash: nil, afterHash: nil,
            outcome: .failed, error: long, durationMs: 1)))

        guard case .action(let action) = try await store.entries()[0].record, let error = action.error else {
            Issue.record("no action with an error read back")
            return
        }
        #expect(error.utf8.count <= AuditAction.maxErrorBytes)
        #expect(error.hasSuffix("… [truncated, 20000 bytes in all]"))
        #expect(error.hasPrefix(String(repeating: "é", count: 4000)))
    }

    @Test func fileIsInWALModeWithNormalSync() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let store = try AuditStore(path: dir.storePath)

        let plain = try DatabaseQueue(path: dir.storePath)
        #expect(try await plain.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
        try plain.close()
        // synchronous is per connection: ask the store's own.
        #expect(try await store.pool.read { try Int.fetchOne($0, sql: "PRAGMA synchronous") } == 1)
    }
}
