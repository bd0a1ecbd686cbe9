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
    /// A stored row cannot be read back as an entry (a value of the wrong type, an unknown kind).
    case unreadableRow(path: String, seq: Int64, message: String)
}
