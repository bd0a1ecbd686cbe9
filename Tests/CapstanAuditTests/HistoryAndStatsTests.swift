@testable import CapstanAudit
import Foundation
import Testing

/// The dashboard's two summaries: runs with their actions, and per-tool call statistics.
@Suite struct HistoryAndStatsTests {
    static func run(_ id: String, _ result: AuditRun.Result, at second: TimeInterval) -> AuditRun {
        AuditRun(id: id, revision: String(repeating: "a", count: 40), trigger: .poll,
                 startedAt: StepClock.start.addingTimeInterval(second), finishedAt: StepClock.start.addingTimeInterval(second + 1.5),
                 result: result)
    }

    @Test func runHistoryIsNewestFirstWithItsActionsAndLeavesOutNoopsUnlessAsked() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let store = try AuditStore(path: dir.storePath)
        _ = try await Sample.appendRun(to: store)  // run-1, partial, three actions
        _ = try await store.append(.run(Self.run("noop-1", .noop, at: 10)))
        _ = try await store.append(.action(AuditAction(runID: "run-2", address: "server.a", kind: "create", beforeHash: nil,
                                                       afterHash: "sha256:ee", outcome: .succeeded, error: nil, durationMs: 7)))
        _ = try await store.append(.call(Sample.call()))
        _ = try await store.append(.run(Self.run("run-2", .succeeded, at: 20)))

        let history = try await store.runHistory(limit: 10)
        #expect(history.map(\.run.id) == ["run-2", "run-1"])
        #expect(history[0].actions.map(\.address) == ["server.a"])
        #expect(history[1].actions == Sample.actions)
        #expect(history[0].run.finishedAt.timeIntervalSince(history[0].run.startedAt) == 1.5)

        let all = try await store.runHistory(limit: 10, includeNoop: true)
        #expect(all.map(\.run.id) == ["run-2", "noop-1", "run-1"])
        #expect(all[1].actions.isEmpty)
        let v1 = try await store.runHistory(limit: 1).map(\.run.id)
        #expect(v1 == ["run-2"])
    }

    @Test func callStatsCountPerToolAndTakeNearestRankPercentilesOfAllowedCalls() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let store = try AuditStore(path: dir.storePath)
        // forecast: durations 1…100 ms, two of them failed; alerts: two denied calls only.
        var records: [AuditRecord] = (1...100).map { n in
            .call(Sample.call(outcome: n == 50 || n == 99 ? .timeout : .ok, n: n))
        }
        records += [.call(Sample.call(tool: "alerts", decision: .denied, outcome: .denied, n: 5000)),
                    .call(Sample.call(client: "bob", tool: "alerts", decision: .denied, outcome: .denied, n: 9000))]
        _ = try await store.append(contentsOf: records)

        let stats = try await store.callStats()
        #expect(stats.map(\.tool) == ["alerts", "forecast"])
        let alerts = stats[0], forecast = stats[1]
        #expect((alerts.calls, alerts.denied, alerts.failed) == (2, 2, 0))
        #expect(alerts.p50Ms == nil)
        #expect((forecast.calls, forecast.denied, forecast.failed) == (100, 0, 2))
        #expect((forecast.p50Ms, forecast.p95Ms, forecast.p99Ms) == (50, 95, 99))

        let bob = try await store.callStats(client: "bob")
        #expect(bob.map(\.calls) == [1])
        let v2 = try await store.callStats(since: StepClock.start.addingTimeInterval(60))
        #expect(v2.isEmpty)
    }

    @Test func percentileIsNearestRank() {
        #expect(AuditStore.percentile([], 50) == nil)
        #expect(AuditStore.percentile([7], 99) == 7)
        #expect(AuditStore.percentile([1, 2, 3, 4], 50) == 2)
        #expect(AuditStore.percentile([1, 2, 3, 4], 51) == 3)
        #expect(AuditStore.percentile([1, 2, 3, 4], 100) == 4)
    }
}
