import Foundation
import GRDB

/// A finished run with the actions it took, as the dashboard's history shows it.
public struct AuditRunHistory: Sendable, Equatable {
    public let run: AuditRun
    public let seq: Int64
    public let actions: [AuditAction]

    public init(run: AuditRun, seq: Int64, actions: [AuditAction]) {
        self.run = run
        self.seq = seq
        self.actions = actions
    }
}

/// Calls of one tool summarised: how many, how they ended, how long they took.
public struct AuditCallStats: Sendable, Equatable, Codable {
    public let server: String
    public let tool: String
    public let calls: Int
    public let denied: Int
    /// Allowed calls that did not end `ok`: tool errors, protocol errors, timeouts, unavailable.
    public let failed: Int
    /// Nearest-rank percentiles of the allowed calls' durations; nil when there were none.
    public let p50Ms: Int64?
    public let p95Ms: Int64?
    public let p99Ms: Int64?

    public init(server: String, tool: String, calls: Int, denied: Int, failed: Int, p50Ms: Int64?, p95Ms: Int64?, p99Ms: Int64?) {
        self.server = server
        self.tool = tool
        self.calls = calls
        self.denied = denied
        self.failed = failed
        self.p50Ms = p50Ms
        self.p95Ms = p95Ms
        self.p99Ms = p99Ms
    }
}

extension AuditStore {
    /// The newest `limit` runs, newest first, each with its actions. Controllers record a no-op
    /// run on every poll, so those are left out unless `includeNoop`.
    public func runHistory(limit: Int, includeNoop: Bool = false) async throws -> [AuditRunHistory] {
        var conditions = ["kind = 'run'"]
        if !includeNoop { conditions.append("result != 'noop'") }
        let runs = try await newest(where: conditions, arguments: [], limit: limit)
        let ids = runs.compactMap { entry -> String? in
            if case .run(let run) = entry.record { return run.id }
            return nil
        }
        guard !ids.isEmpty else { return [] }
        let actions = try await newest(where: ["kind = 'action'", "run_id IN (\(ids.map { _ in "?" }.joined(separator: ", ")))"],
                                       arguments: StatementArguments(ids), limit: nil)
        var byRun: [String: [AuditAction]] = [:]
        for entry in actions {
            if case .action(let action) = entry.record { byRun[action.runID, default: []].append(action) }
        }
        return runs.reversed().compactMap { entry in
            guard case .run(let run) = entry.record else { return nil }
            return AuditRunHistory(run: run, seq: entry.seq, actions: byRun[run.id] ?? [])
        }
    }

    /// Per tool, over the calls matching the filters (they mean what they mean for `calls`).
    /// Reads only the columns it needs, ordered by the database, so percentiles need no sort here.
    public func callStats(client: String? = nil, server: String? = nil, tool: String? = nil,
                          decision: AuditToolCall.Decision? = nil, since: Date? = nil) async throws -> [AuditCallStats] {
        let (conditions, arguments) = Self.callConditions(client: client, server: server, tool: tool,
                                                          decision: decision, since: since)
        let sql = "SELECT server, tool, decision, outcome, duration_ms FROM entries WHERE "
            + conditions.joined(separator: " AND ") + " ORDER BY server, tool, duration_ms"
        do {
            return try await pool.read { db in
                var stats: [AuditCallStats] = []
                var key: (String, String)?
                var calls = 0, denied = 0, failed = 0
                var durations: [Int64] = []
                func flush() {
                    guard let (server, tool) = key else { return }
                    stats.append(AuditCallStats(server: server, tool: tool, calls: calls, denied: denied, failed: failed,
                                                p50Ms: Self.percentile(durations, 50), p95Ms: Self.percentile(durations, 95),
                                                p99Ms: Self.percentile(durations, 99)))
                }
                let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
                while let row = try rows.next() {
                    let server: String = row["server"] ?? "", tool: String = row["tool"] ?? ""
                    if key == nil || key! != (server, tool) {
                        flush()
                        key = (server, tool)
                        calls = 0; denied = 0; failed = 0; durations = []
                    }
                    calls += 1
                    let allowed = (row["decision"] as String?) == AuditToolCall.Decision.allowed.rawValue
                    if !allowed {
                        denied += 1
                        continue
                    }
                    if (row["outcome"] as String?) != AuditToolCall.Outcome.ok.rawValue { failed += 1 }
                    durations.append(row["duration_ms"] ?? 0)
                }
                flush()
                return stats
            }
        } catch {
            throw Self.wrap(error, path: path, operation: .read)
        }
    }

    /// Nearest-rank percentile of values sorted ascending.
    static func percentile(_ sorted: [Int64], _ p: Int) -> Int64? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((Double(p) / 100 * Double(sorted.count)).rounded(.up))
        return sorted[max(0, min(sorted.count - 1, rank - 1))]
    }
}
