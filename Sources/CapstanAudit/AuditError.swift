/// Failures of the audit store. Cases carry the file and what was being done; `message` is
/// SQLite's own text (never row contents, so never anything a caller recorded).
public enum AuditError: Error, Sendable, Equatable {
    public enum Operation: String, Sendable {
        case open, migrate, append, read, verify
    }

    /// The state directory that should hold the file could not be created.
    case createDirectory(path: String, message: String)
    /// SQLite refused `operation` on the file at `path`, e.g. code 26 "file is not a database".
    case database(path: String, operation: Operation, code: Int32, message: String)
    /// The file holds migrations this build does not know: a newer Capstan wrote it.
    case newerSchema(path: String)
    /// Opened to read, the file lacks migrations this build has: an older Capstan wrote it, and
    /// the next open for writing (an apply, the controller, the gateway) migrates it.
    case olderSchema(path: String)
    /// A stored row cannot be read back as an entry (a value of the wrong type, an unknown kind).
    case unreadableRow(path: String, seq: Int64, message: String)
}

/// The CLI, the controller's status and the dashboard show these words.
extension AuditError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .createDirectory(let path, let message):
            return "cannot create the state directory \(path): \(message)"
        case .database(let path, let operation, _, let message):
            return "the audit store \(path) could not \(operation.rawValue): \(message)"
        case .newerSchema(let path):
            return "the audit store \(path) was written by a newer Capstan; upgrade this one to use it"
        case .olderSchema(let path):
            return "the audit store \(path) was written by an older Capstan; run the controller, the gateway or an apply "
                + "with this version once to upgrade it"
        case .unreadableRow(let path, let seq, let message):
            return "the audit store \(path) has a row that cannot be read (seq \(seq)): \(message)"
        }
    }
}
