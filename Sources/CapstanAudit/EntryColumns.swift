import Foundation
import GRDB

/// Records to columns and stored rows back to entries. Reading never force-converts a value: a
/// tampered or foreign row becomes a typed error, not a crash.
enum EntryColumns {
    static func columns(of record: AuditRecord) -> [String: DatabaseValue] {
        switch record {
        case .run(let run):
            return [
                "run_id": run.id.databaseValue,
                "revision": run.revision.databaseValue,
                "triggered_by": run.trigger.rawValue.databaseValue,
                "started_at": run.startedAt.milliseconds.databaseValue,
                "finished_at": run.finishedAt.milliseconds.databaseValue,
                "result": run.result.rawValue.databaseValue,
            ]
        case .action(let action):
            return [
                "run_id": action.runID.databaseValue,
                "address": action.address.databaseValue,
                "action": action.kind.databaseValue,
                "before_hash": action.beforeHash.databaseValue,
                "after_hash": action.afterHash.databaseValue,
                "outcome": action.outcome.rawValue.databaseValue,
                "error": action.error.databaseValue,
                "duration_ms": action.durationMs.databaseValue,
            ]
        case .call(let call):
            return [
                "started_at": call.startedAt.milliseconds.databaseValue,
                "client": call.client.databaseValue,
                "server": call.server.databaseValue,
                "tool": call.tool.databaseValue,
                "decision": call.decision.rawValue.databaseValue,
                "outcome": call.outcome.rawValue.databaseValue,
                "duration_ms": call.durationMs.databaseValue,
                "arguments_sha256": call.argumentsSHA256.databaseValue,
                "protocol_version": call.protocolVersion.databaseValue,
                "error": call.error.databaseValue,
            ]
        }
    }

    struct Unreadable: Error {
        let message: String
    }

    /// All columns of a fetched row by name.
    static func values(of row: Row) -> [String: DatabaseValue] {
        Dictionary(row.map { ($0.0, $0.1) }, uniquingKeysWith: { first, _ in first })
    }

    static func entry(from values: [String: DatabaseValue]) throws(Unreadable) -> AuditEntry {
        let reader = Reader(values: values)
        let kind = try reader.choice("kind", AuditRecord.Kind.self)
        let record: AuditRecord
        switch kind {
        case .run:
            record = .run(AuditRun(
                id: try reader.text("run_id"),
                revision: try reader.text("revision"),
                trigger: try reader.choice("triggered_by", AuditRun.Trigger.self),
                startedAt: Date(milliseconds: try reader.integer("started_at")),
                finishedAt: Date(milliseconds: try reader.integer("finished_at")),
                result: try reader.choice("result", AuditRun.Result.self)))
        case .action:
            record = .action(AuditAction(
                runID: try reader.text("run_id"),
                address: try reader.text("address"),
                kind: try reader.text("action"),
                beforeHash: try reader.optionalText("before_hash"),
                afterHash: try reader.optionalText("after_hash"),
                outcome: try reader.choice("outcome", AuditAction.Outcome.self),
                error: try reader.optionalText("error"),
                durationMs: try reader.integer("duration_ms")))
        case .call:
            record = .call(AuditToolCall(
                startedAt: Date(milliseconds: try reader.integer("started_at")),
                client: try reader.text("client"),
                server: try reader.text("server"),
                tool: try reader.text("tool"),
                decision: try reader.choice("decision", AuditToolCall.Decision.self),
                outcome: try reader.choice("outcome", AuditToolCall.Outcome.self),
                durationMs: try reader.integer("duration_ms"),
                argumentsSHA256: try reader.text("arguments_sha256"),
                protocolVersion: try reader.optionalText("protocol_version"),
                error: try reader.optionalText("error")))
        }
        return AuditEntry(
            seq: try reader.integer("seq"),
            recordedAt: Date(milliseconds: try reader.integer("recorded_at")),
            record: record,
            prevHash: try reader.text("prev_hash"),
            hash: try reader.text("hash"))
    }

    private struct Reader {
        let values: [String: DatabaseValue]

        func integer(_ column: String) throws(Unreadable) -> Int64 {
            guard case .int64(let i) = values[column]?.storage else { throw Unreadable(message: "\(column) is not an integer") }
            return i
        }

        func text(_ column: String) throws(Unreadable) -> String {
            guard let s = try optionalText(column) else { throw Unreadable(message: "\(column) is NULL") }
            return s
        }

        func optionalText(_ column: String) throws(Unreadable) -> String? {
            switch values[column]?.storage {
            case .string(let s): return s
            case .null, nil: return nil
            default: throw Unreadable(message: "\(column) is not text")
            }
        }

        func choice<T: RawRepresentable>(_ column: String, _: T.Type) throws(Unreadable) -> T where T.RawValue == String {
            let raw = try text(column)
            guard let value = T(rawValue: raw) else { throw Unreadable(message: "\(column) has unknown value '\(raw)'") }
            return value
        }
    }
}
