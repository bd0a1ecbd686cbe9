import Foundation

/// One apply run, written once, when the run has finished (its actions are written before it
/// and carry its id, so no row is ever updated).
///
/// Callers must pass no secret: the revision is a commit id or a working-directory marker.
public struct AuditRun: Sendable, Equatable {
    public enum Trigger: String, Sendable, CaseIterable {
        case cli, poll, webhook, manual, drift
    }

    public enum Result: String, Sendable, CaseIterable {
        case succeeded, failed, partial, noop
    }

    /// Chosen by the caller (a UUID string, say) before the first action is recorded.
    public let id: String
    public let revision: String
    public let trigger: Trigger
    /// Stored with millisecond precision; the initializer rounds, so a value reads back equal.
    public let startedAt: Date
    public let finishedAt: Date
    public let result: Result

    public init(id: String, revision: String, trigger: Trigger, startedAt: Date, finishedAt: Date, result: Result) {
        self.id = CappedText.storable(id)
        self.revision = CappedText.storable(revision)
        self.trigger = trigger
        self.startedAt = Date(milliseconds: startedAt.milliseconds)
        self.finishedAt = Date(milliseconds: finishedAt.milliseconds)
        self.result = result
    }
}

/// One action of a run, written when it has ended.
///
/// Callers must pass no secret: hashes (never the values they cover) and error texts meant for
/// people. The store cannot tell a secret from any other text, so this is the caller's duty; what
/// the store does is cap the error text (see `maxErrorBytes`).
public struct AuditAction: Sendable, Equatable {
    public enum Outcome: String, Sendable, CaseIterable {
        case succeeded, failed, skipped
    }

    /// Error texts longer than this many UTF-8 bytes are truncated (see `CappedText`).
    public static let maxErrorBytes = 8 * 1024

    public let runID: String
    /// The plan's stable address, e.g. `server.weather`.
    public let address: String
    /// The plan's action, e.g. `build`, `create`, `replace`, `start`, `delete`.
    public let kind: String
    public let beforeHash: String?
    public let afterHash: String?
    public let outcome: Outcome
    public let error: String?
    public let durationMs: Int64

    public init(runID: String, address: String, kind: String, beforeHash: String?, afterHash: String?,
                outcome: Outcome, error: String?, durationMs: Int64) {
        self.runID = CappedText.storable(runID)
        self.address = CappedText.storable(address)
        self.kind = CappedText.storable(kind)
        self.beforeHash = beforeHash.map(CappedText.storable)
        self.afterHash = afterHash.map(CappedText.storable)
        self.outcome = outcome
        self.error = error.map { CappedText.cap($0, bytes: Self.maxErrorBytes) }
        self.durationMs = durationMs
    }
}

/// Texts longer than a record's limit are truncated, not refused: refusing would lose the record
/// of exactly the failures (or the abuse) that matter. The kept text ends with the marker
/// `… [truncated, N bytes in all]`, and the whole stays within `limit` UTF-8 bytes.
///
/// A NUL becomes U+FFFD first: SQLite's text ends at a NUL as GRDB binds it, so a stored row
/// would differ from the hashed one and `verify` would call the chain broken. Any client can put
/// a NUL in a tool name, so this is not hypothetical.
enum CappedText {
    static func storable(_ text: String) -> String {
        text.utf8.contains(0) ? text.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}") : text
    }

    static func cap(_ text: String, bytes limit: Int) -> String {
        let text = storable(text)
        let total = text.utf8.count
        guard total > limit else { return text }
        let marker = "… [truncated, \(total) bytes in all]"
        let budget = limit - marker.utf8.count
        var kept = String.UnicodeScalarView()
        var used = 0
        for scalar in text.unicodeScalars {
            let size = String(scalar).utf8.count
            if used + size > budget { break }
            kept.append(scalar)
            used += size
        }
        return String(kept) + marker
    }
}

/// What one chain row records. New kinds (controller syncs, say) become new cases with their own
/// columns, added by a migration.
public enum AuditRecord: Sendable, Equatable {
    /// The row's `kind` column.
    public enum Kind: String, Sendable, CaseIterable {
        case run, action, call
    }

    case run(AuditRun)
    case action(AuditAction)
    case call(AuditToolCall)

    public var kind: Kind {
        switch self {
        case .run: return .run
        case .action: return .action
        case .call: return .call
        }
    }
}

/// A stored row: the record plus its place in the chain.
public struct AuditEntry: Sendable, Equatable {
    /// Position in the one chain over every row, 1, 2, 3, … in insertion order.
    public let seq: Int64
    /// The store's clock when the row was appended, millisecond precision.
    public let recordedAt: Date
    public let record: AuditRecord
    /// Lowercase hex SHA-256; the first row's `prevHash` is 64 zeros.
    public let prevHash: String
    public let hash: String
}

extension Date {
    /// Times are stored as integer milliseconds since 1970, never as SQLite REALs.
    var milliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }

    init(milliseconds: Int64) { self.init(timeIntervalSince1970: Double(milliseconds) / 1000) }
}
