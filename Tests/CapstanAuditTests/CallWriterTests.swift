@testable import CapstanAudit
import Foundation
import GRDB
import Synchronization
import Testing

/// The batched writer the gateway records every tool call through, against a real file.
struct CallWriterTests {
    @Test func everyCallOfManyConcurrentCallersLandsOnceInOrder() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let store = try AuditStore(path: dir.storePath)
        let writer = AuditCallWriter(store: store)
        let tasks = 64, total = 20_000

        await withTaskGroup(of: Void.self) { group in
            for task in 0..<tasks {
                group.addTask {
                    for n in stride(from: task, to: total, by: tasks) {
                        await writer.record(Sample.call(client: "client-\(task)", n: n))
                    }
                }
            }
        }
        await writer.flush()

        #expect(try await store.callCount() == total)
        #expect(try await store.verify() == .intact(rows: total))
        let calls = try await store.calls().compactMap { entry -> AuditToolCall? in
            if case .call(let call) = entry.record { call } else { nil }
        }
        #expect(Set(calls.map(\.argumentsSHA256)) == Set((0..<total).map(Sample.argumentsHash)))
        // Each caller recorded its calls one after another; the store has them in that order.
        for task in 0..<tasks {
            let mine = calls.filter { $0.client == "client-\(task)" }.map(\.argumentsSHA256)
            #expect(mine == Array(stride(from: task, to: total, by: tasks)).map(Sample.argumentsHash))
        }
        #expect(writer.health == AuditCallWriter.Health(pending: 0, waiting: 0, written: total, lastError: nil))
    }

    /// Far more callers than room: most of them wait, and each one's flush still covers its call.
    @Test func thousandsOfCallersAtOnceEachFindTheirCallAfterFlush() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let store = try AuditStore(path: dir.storePath)
        let writer = AuditCallWriter(store: store, capacity: 64, batchSize: 16)
        let callers = 2_000

        let missing = try await withThrowingTaskGroup(of: Int.self) { group in
            for n in 0..<callers {
                group.addTask {
                    await writer.record(Sample.call(client: "caller-\(n)", n: n))
                    await writer.flush()
                    return try await store.callCount(client: "caller-\(n)") == 1 ? 0 : 1
                }
            }
            return try await group.reduce(0, +)
        }

        #expect(missing == 0)
        #expect(try await store.callCount() == callers)
        #expect(try await store.verify() == .intact(rows: callers))
    }

    @Test func flushWaitsForEverythingRecordedBeforeIt() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let store = try AuditStore(path: dir.storePath)
        let writer = AuditCallWriter(store: store, capacity: 16, batchSize: 4)

        for n in 0..<10 { await writer.record(Sample.call(n: n)) }
        await writer.flush()

        #expect(try await store.callCount() == 10)
        await writer.flush()  // nothing pending: returns at once
    }

    @Test func closeLeavesNothingPendingAndTheWriterStillWrites() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let store = try AuditStore(path: dir.storePath)
        let writer = AuditCallWriter(store: store, capacity: 8, batchSize: 3)

        for n in 0..<20 { await writer.record(Sample.call(n: n)) }
        await writer.close()
        #expect(try await store.callCount() == 20)
        #expect(writer.health.pending == 0)

        await writer.record(Sample.call(n: 20))
        await writer.close()
        #expect(try await store.callCount() == 21)
    }

    /// SQLite's own "database or disk is full" (SQLITE_FULL), from a page limit on the store's
    /// writer connection: a real failed write, which running as root does not get around.
    @Test func fullDiskHoldsCallersBackAndLosesNothing() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let store = try AuditStore(path: dir.storePath)
        let delays = Mutex<[Duration]>([])
        let writer = AuditCallWriter(store: store, capacity: 32, batchSize: 8) { delay in
            delays.withLock { $0.append(delay) }
            try? await Task.sleep(for: .milliseconds(1))
        }
        try await store.pool.writeWithoutTransaction { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            try db.execute(sql: "PRAGMA max_page_count = \(pages)")
        }
        let total = 200

        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<10 {
                group.addTask {
                    for n in stride(from: task, to: total, by: 10) { await writer.record(Sample.call(n: n)) }
                }
            }
            #expect(await eventually { writer.health.lastError != nil && writer.health.waiting > 0 })
            let health = writer.health
            guard case .database(_, .append, let code, _)? = health.lastError else {
                Issue.record("expected an append error, got \(String(describing: health.lastError))")
                return
            }
            #expect(code == 13)  // SQLITE_FULL
            // Nothing commits while the disk is full: the queue stays at capacity, the rest wait.
            #expect(health.pending == writer.capacity + health.waiting)
            #expect(try await store.callCount() == health.written)
            #expect(delays.withLock { $0.count } >= 1)

            try await store.pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA max_page_count = 1073741823") }
            try await group.waitForAll()
        }
        await writer.flush()

        #expect(try await store.callCount() == total)
        #expect(try await store.verify() == .intact(rows: total))
        #expect(writer.health == AuditCallWriter.Health(pending: 0, waiting: 0, written: total, lastError: nil))
    }

    /// Another process holding SQLite's write lock: the writer waits on it, the queue fills and
    /// callers wait in turn, and all of it lands when the lock goes.
    @Test func lockedStoreSlowsCallersDown() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let store = try AuditStore(path: dir.storePath)
        let writer = AuditCallWriter(store: store, capacity: 8, batchSize: 4)
        var holdsTheLock = Configuration()
        holdsTheLock.allowsUnsafeTransactions = true  // open across two accesses, on purpose
        let other = try DatabaseQueue(path: dir.storePath, configuration: holdsTheLock)
        try await other.writeWithoutTransaction { try $0.execute(sql: "BEGIN EXCLUSIVE") }
        let total = 40

        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 0..<total {
                group.addTask { await writer.record(Sample.call(n: n)) }
            }
            #expect(await eventually { writer.health.waiting == total - 8 })
            #expect(try await store.callCount() == 0)

            try await other.writeWithoutTransaction { try $0.execute(sql: "COMMIT") }
        }
        await writer.flush()

        #expect(try await store.callCount() == total)
        #expect(try await store.verify() == .intact(rows: total))
        try other.close()
    }

    @Test func backoffDoublesFromFiftyMillisecondsToTwoSeconds() {
        #expect((1...8).map(AuditCallWriter.backoff(afterFailures:)) == [
            .milliseconds(50), .milliseconds(100), .milliseconds(200), .milliseconds(400),
            .milliseconds(800), .milliseconds(1600), .seconds(2), .seconds(2),
        ])
    }
}
