@testable import CapstanAudit
import Foundation
import GRDB
import Testing

/// `calls(…)` and `callCount(…)`, as `capstan audit calls` uses them.
struct CallQueryTests {
    /// seq 1 alice weather/forecast, 2 bob weather/alerts (denied), 3 alice time/now,
    /// 4–7 a run with its actions, 8 bob time/now, 9 alice weather/forecast (denied).
    /// The calls started one minute apart, in seq order.
    private func log() async throws -> (TempDir, AuditStore) {
        let dir = try TempDir()
        let store = try AuditStore(path: dir.storePath)
        func call(_ i: Int, _ client: String, _ server: String, _ tool: String,
                  _ decision: AuditToolCall.Decision = .allowed) -> AuditRecord {
            .call(Sample.call(client: client, server: server, tool: tool, decision: decision,
                              outcome: decision == .denied ? .denied : .ok,
                              startedAt: StepClock.start.addingTimeInterval(Double(i) * 60), n: i))
        }
        try await store.append(contentsOf: [
            call(0, "alice", "weather", "forecast"), call(1, "bob", "weather", "alerts", .denied), call(2, "alice", "time", "now"),
        ])
        _ = try await Sample.appendRun(to: store)
        try await store.append(contentsOf: [call(3, "bob", "time", "now"), call(4, "alice", "weather", "forecast", .denied)])
        return (dir, store)
    }

    @Test func eachFilterKeepsItsCalls() async throws {
        let (dir, store) = try await log()
        defer { dir.remove() }

        #expect(try await store.calls().map(\.seq) == [1, 2, 3, 8, 9])
        #expect(try await store.calls(client: "alice").map(\.seq) == [1, 3, 9])
        #expect(try await store.calls(server: "weather").map(\.seq) == [1, 2, 9])
        #expect(try await store.calls(tool: "now").map(\.seq) == [3, 8])
        #expect(try await store.calls(decision: .denied).map(\.seq) == [2, 9])
        #expect(try await store.calls(decision: .allowed).map(\.seq) == [1, 3, 8])
        #expect(try await store.calls(client: "carol").isEmpty)
    }

    @Test func filtersCombine() async throws {
        let (dir, store) = try await log()
        defer { dir.remove() }

        #expect(try await store.calls(client: "alice", server: "weather").map(\.seq) == [1, 9])
        #expect(try await store.calls(client: "alice", server: "weather", tool: "forecast", decision: .allowed).map(\.seq) == [1])
        #expect(try await store.calls(server: "time", since: StepClock.start.addingTimeInterval(180)).map(\.seq) == [8])
    }

    @Test func sinceIsTheCallsStartTime() async throws {
        let (dir, store) = try await log()
        defer { dir.remove() }

        // Every row was recorded just now; only the calls' own times tell them apart.
        #expect(try await store.calls(since: StepClock.start.addingTimeInterval(120)).map(\.seq) == [3, 8, 9])
        #expect(try await store.calls(since: StepClock.start.addingTimeInterval(120.001)).map(\.seq) == [8, 9])
    }

    @Test func limitKeepsTheNewestInChronologicalOrder() async throws {
        let (dir, store) = try await log()
        defer { dir.remove() }

        #expect(try await store.calls(limit: 2).map(\.seq) == [8, 9])
        #expect(try await store.calls(client: "alice", limit: 2).map(\.seq) == [3, 9])
        #expect(try await store.calls(limit: 0).isEmpty)
    }

    @Test func countMatchesTheFilters() async throws {
        let (dir, store) = try await log()
        defer { dir.remove() }

        #expect(try await store.callCount() == 5)
        #expect(try await store.callCount(client: "bob") == 2)
        #expect(try await store.callCount(server: "weather", decision: .denied) == 2)
        #expect(try await store.callCount(since: StepClock.start.addingTimeInterval(240)) == 1)
    }

    @Test func kindsFilterLeavesCallsOutOfTheLog() async throws {
        let (dir, store) = try await log()
        defer { dir.remove() }

        #expect(try await store.entries(kinds: [.run, .action]).map(\.seq) == [4, 5, 6, 7])
        #expect(try await store.entries(kinds: [.call], limit: 1).map(\.seq) == [9])
        #expect(try await store.entries().count == 9)
    }

    /// With millions of calls a full scan, or sorting one client's calls, would take seconds:
    /// every filter must be an index search that yields rows already in `seq` order.
    @Test(arguments: [
        ("client", "entries_by_kind_client"), ("server", "entries_by_kind_server"),
        ("tool", "entries_by_kind_tool"), ("decision", "entries_by_kind_decision"), ("", "entries_by_kind"),
    ])
    func eachFilterSearchesItsIndexInSeqOrder(filter: String, index: String) async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let store = try AuditStore(path: dir.storePath)

        let (conditions, arguments) = AuditStore.callConditions(
            client: filter == "client" ? "alice" : nil, server: filter == "server" ? "weather" : nil,
            tool: filter == "tool" ? "forecast" : nil, decision: filter == "decision" ? .denied : nil, since: nil)
        let plan = try await queryPlan(store, "SELECT * FROM entries WHERE \(conditions.joined(separator: " AND ")) ORDER BY seq DESC LIMIT 20",
                                       arguments)

        #expect(plan.contains("SEARCH entries USING INDEX \(index) ("), "plan: \(plan)")
        #expect(!plan.contains("TEMP B-TREE"), "plan: \(plan)")
    }

    @Test func sinceAndCountAreIndexSearchesToo() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let store = try AuditStore(path: dir.storePath)

        let (since, sinceArguments) = AuditStore.callConditions(client: nil, server: nil, tool: nil, decision: nil, since: Date())
        let sincePlan = try await queryPlan(store, "SELECT * FROM entries WHERE \(since.joined(separator: " AND ")) ORDER BY seq DESC",
                                            sinceArguments)
        let (count, countArguments) = AuditStore.callConditions(client: nil, server: "time", tool: nil, decision: nil, since: nil)
        let countPlan = try await queryPlan(store, "SELECT COUNT(*) FROM entries WHERE \(count.joined(separator: " AND "))",
                                            countArguments)
        let logPlan = try await queryPlan(store, "SELECT * FROM entries WHERE kind IN ('action', 'run') ORDER BY seq DESC", [])

        #expect(sincePlan.contains("USING INDEX entries_by_kind_start (kind=? AND started_at>?)"), "plan: \(sincePlan)")
        #expect(countPlan.contains("USING COVERING INDEX entries_by_kind_server (kind=? AND server=?)"), "plan: \(countPlan)")
        // Runs and actions are few among the calls: a sort of them is cheap, a scan is not.
        #expect(logPlan.hasPrefix("SEARCH entries USING INDEX entries_by_kind"), "plan: \(logPlan)")
    }

    private func queryPlan(_ store: AuditStore, _ sql: String, _ arguments: StatementArguments) async throws -> String {
        try await store.pool.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments)
                .map { $0["detail"] as String? ?? "" }.joined(separator: "; ")
        }
    }
}
