import Foundation
import GRDB

/// Queries over the gateway's tool calls, as `capstan audit calls` makes them. Every filter is
/// served by one of the `(kind, column)` indexes of the `v2-tool-calls` migration.
extension AuditStore {
    /// Call entries in chronological (chain) order, matching every filter given. `since` keeps
    /// calls that started at or after that time (the call's own time, not when the writer got it
    /// into the store, which can be much later while the store is failing). `limit` keeps the
    /// newest that many.
    public func calls(client: String? = nil, server: String? = nil, tool: String? = nil,
                      decision: AuditToolCall.Decision? = nil, since: Date? = nil,
                      limit: Int? = nil) async throws -> [AuditEntry] {
        let (conditions, arguments) = Self.callConditions(client: client, server: server, tool: tool,
                                                          decision: decision, since: since)
        return try await newest(where: conditions, arguments: arguments, limit: limit)
    }

    /// How many calls match; the filters mean what they mean for `calls`.
    public func callCount(client: String? = nil, server: String? = nil, tool: String? = nil,
                          decision: AuditToolCall.Decision? = nil, since: Date? = nil) async throws -> Int {
        let (conditions, arguments) = Self.callConditions(client: client, server: server, tool: tool,
                                                          decision: decision, since: since)
        let sql = "SELECT COUNT(*) FROM entries WHERE " + conditions.joined(separator: " AND ")
        do {
            return try await pool.read { db in try Int.fetchOne(db, sql: sql, arguments: arguments) ?? 0 }
        } catch {
            throw Self.wrap(error, path: path, operation: .read)
        }
    }

    /// Internal so that a test can check the query plans of these exact conditions.
    static func callConditions(client: String?, server: String?, tool: String?,
                               decision: AuditToolCall.Decision?, since: Date?) -> ([String], StatementArguments) {
        var conditions = ["kind = 'call'"]
        var arguments: StatementArguments = []
        for (column, value) in [("client", client), ("server", server), ("tool", tool), ("decision", decision?.rawValue)] {
            guard let value else { continue }
            conditions.append("\(column) = ?")
            arguments += [value]
        }
        if let since {
            conditions.append("started_at >= ?")
            arguments += [since.milliseconds]
        }
        return (conditions, arguments)
    }
}
