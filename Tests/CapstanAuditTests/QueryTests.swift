@testable import CapstanAudit
import Foundation
import Testing

/// `entries(since:address:limit:)`, as `capstan audit log` uses it.
struct QueryTests {
    /// seq 1 A weather, 2 A time, 3 run A, 4 B time, 5 run B, 6 C weather, 7 run C; one minute apart.
    private func log() async throws -> (TempDir, AuditStore) {
        let dir = try TempDir()
        let store = try AuditStore(path: dir.storePath, now: StepClock(step: 60).now)
        func action(_ run: String, _ address: String) -> AuditRecord {
            .action(AuditAction(runID: run, address: address, kind: "replace", beforeHash: "sha256:1",
                                afterHash: "sha256:2", outcome: .succeeded, error: nil, durationMs: 10))
        }
        func run(_ id: String) -> AuditRecord {
            .run(AuditRun(id: id, revision: "rev-\(id)", trigger: .webhook, startedAt: StepClock.start,
                          finishedAt: StepClock.start, result: .succeeded))
        }
        for record in [action("a", "server.weather"), action("a", "server.time"), run("a"),
                       action("b", "server.time"), run("b"), action("c", "server.weather"), run("c")] {
            try await store.append(record)
        }
        return (dir, store)
    }

    @Test func addressKeepsItsActionsAndTheirRuns() async throws {
        let (dir, store) = try await log()
        defer { dir.remove() }

        #expect(try await store.entries(address: "server.weather").map(\.seq) == [1, 3, 6, 7])
        #expect(try await store.entries(address: "server.nothing").isEmpty)
    }

    @Test func sinceKeepsRowsRecordedFromThatTime() async throws {
        let (dir, store) = try await log()
        defer { dir.remove() }

        #expect(try await store.entries(since: StepClock.start.addingTimeInterval(180)).map(\.seq) == [4, 5, 6, 7])
        #expect(try await store.entries(since: StepClock.start.addingTimeInterval(180), address: "server.weather")
            .map(\.seq) == [6, 7])
    }

    @Test func limitKeepsTheNewestInChronologicalOrder() async throws {
        let (dir, store) = try await log()
        defer { dir.remove() }

        #expect(try await store.entries(limit: 3).map(\.seq) == [5, 6, 7])
        #expect(try await store.entries().map(\.seq) == Array(1...7))
    }
}
