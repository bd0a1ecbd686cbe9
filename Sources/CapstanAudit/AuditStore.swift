import Foundation
import GRDB

/// The append-only, hash-chained audit store: one SQLite file in the state directory.
///
/// Every row of every kind is one link of a single chain in insertion order (`seq`); see
/// `ChainHash` for the hash and its canonical encoding. Rows are only ever inserted (triggers
/// refuse UPDATE and DELETE), and `verify()` finds any row that was altered, removed or moved.
/// A chain cannot show rows cut off its end: whoever needs that publishes the last hash
/// elsewhere.
///
/// Callers must pass no secret value: records hold hashes and texts meant for people, and the
/// store keeps them verbatim, long texts capped (see `CappedText`).
///
/// A `DatabasePool` rather than a `DatabaseQueue`: the controller appends (every gateway tool call,
/// every action) while `audit log` and `verify()` scan, and in WAL mode the pool's readers work
/// on a snapshot without holding up its single, serial writer.
///
/// The API is async: GRDB runs each access on its own queues, so waiting for the write lock
/// (another process appending, up to the busy timeout) suspends the caller instead of blocking
/// a thread of Swift's cooperative pool that the gateway and the controller share. Opening is
/// synchronous: it happens once, at startup.
public final class AuditStore: Sendable {
    public let path: String
    let pool: DatabasePool  // internal for tests that read connection pragmas
    private let now: @Sendable () -> Date

    /// Opens the store at `path`, creating its directory and the file, and migrates the schema.
    /// `now` stamps `recordedAt`; tests inject a clock.
    public init(path: String, now: @escaping @Sendable () -> Date = { Date() }) throws(AuditError) {
        self.path = path
        self.now = now
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw .createDirectory(path: directory, message: (error as NSError).localizedDescription)
            }
        }
        pool = try Self.open(path, readOnly: false)
        let migrator = Schema.migrator
        do {
            if try pool.read({ try migrator.hasBeenSuperseded($0) }) { throw AuditError.newerSchema(path: path) }
            try migrator.migrate(pool)
        } catch {
            throw Self.auditError(error, path: path, operation: .migrate)
        }
    }

    /// Opens an existing store only to read it: `audit log`, `audit verify` and the dashboard.
    /// Nothing is created or migrated, so this works on a full disk or a read-only mount, which
    /// is when somebody most wants to look.
    public init(readingFrom path: String) throws(AuditError) {
        self.path = path
        self.now = { Date() }
        pool = try Self.open(path, readOnly: true)
        let migrator = Schema.migrator
        do {
            try pool.read { db throws in
                if try migrator.hasBeenSuperseded(db) { throw AuditError.newerSchema(path: path) }
                if try !migrator.hasCompletedMigrations(db) { throw AuditError.olderSchema(path: path) }
            }
        } catch {
            throw Self.auditError(error, path: path, operation: .open)
        }
    }

    private static func open(_ path: String, readOnly: Bool) throws(AuditError) -> DatabasePool {
        var config = Configuration()
        config.readonly = readOnly
        config.busyMode = .timeout(5)
        config.prepareDatabase { db in
            // WAL itself is set by DatabasePool; NORMAL is durable under WAL except on power loss.
            if !readOnly { try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        }
        do {
            return try DatabasePool(path: path, configuration: config)
        } catch {
            throw auditError(error, path: path, operation: .open)
        }
    }

    /// Appends one record to the chain and returns it as stored.
    @discardableResult
    public func append(_ record: AuditRecord) async throws -> AuditEntry {
        try await append(contentsOf: [record])[0]
    }

    /// Appends records in order, all or none, and returns them as stored.
    ///
    /// One IMMEDIATE transaction reads the last hash and inserts, so concurrent appends (tasks
    /// of this process, which the pool's writer serializes, or other processes, which SQLite's
    /// write lock serializes) never fork the chain.
    @discardableResult
    public func append(contentsOf records: [AuditRecord]) async throws -> [AuditEntry] {
        let now = self.now
        do {
            return try await pool.writeWithoutTransaction { db in
                var stored: [AuditEntry] = []
                try db.inTransaction(.immediate) {
                    stored = try Self.insert(records, db: db, now: now)
                    return .commit
                }
                return stored
            }
        } catch {
            throw Self.wrap(error, path: path, operation: .append)
        }
    }

    /// Entries in chronological (chain) order. `since` keeps rows recorded at or after that
    /// time. `address` keeps the actions on that address and the runs they belong to. `kinds`
    /// keeps rows of those kinds (`audit log` leaves out the gateway's calls). `limit` keeps the
    /// newest that many (a run row follows its actions, so a kept action's finished run is kept
    /// too).
    public func entries(since: Date? = nil, address: String? = nil, kinds: Set<AuditRecord.Kind>? = nil,
                        limit: Int? = nil) async throws -> [AuditEntry] {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let since {
            conditions.append("recorded_at >= ?")
            arguments += [since.milliseconds]
        }
        if let address {
            conditions.append("""
                (address = ? OR (kind = 'run' AND run_id IN \
                (SELECT run_id FROM entries WHERE kind = 'action' AND address = ?)))
                """)
            arguments += [address, address]
        }
        if let kinds {
            // Sorted so that one set of kinds is always the same SQL text.
            let names = kinds.map(\.rawValue).sorted()
            conditions.append("kind IN (\(names.map { _ in "?" }.joined(separator: ", ")))")
            arguments += StatementArguments(names)
        }
        return try await newest(where: conditions, arguments: arguments, limit: limit)
    }

    /// The rows matching every condition, newest `limit` of them, in chronological order.
    func newest(where conditions: [String], arguments: StatementArguments, limit: Int?) async throws -> [AuditEntry] {
        var arguments = arguments
        var sql = "SELECT * FROM entries"
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        sql += " ORDER BY seq DESC"
        if let limit {
            sql += " LIMIT ?"
            arguments += [max(0, limit)]
        }
        let rows: [[String: DatabaseValue]]
        do {
            rows = try await pool.read { [sql, arguments] db in
                try Row.fetchAll(db, sql: sql, arguments: arguments).map(EntryColumns.values)
            }
        } catch {
            throw Self.wrap(error, path: path, operation: .read)
        }
        var entries: [AuditEntry] = []
        entries.reserveCapacity(rows.count)
        for values in rows.reversed() {
            do {
                entries.append(try EntryColumns.entry(from: values))
            } catch {
                let seq: Int64 = if case .int64(let s) = values["seq"]?.storage { s } else { -1 }
                throw AuditError.unreadableRow(path: path, seq: seq, message: error.message)
            }
        }
        return entries
    }

    /// Walks the whole chain on one snapshot and reports the first row that does not fit.
    public func verify() async throws -> AuditVerification {
        do {
            return try await pool.read { db in
                let rows = try Row.fetchCursor(db, sql: "SELECT * FROM entries ORDER BY seq")
                var expectedSeq: Int64 = 1
                var previousHash = ChainHash.genesis
                var count = 0
                while let row = try rows.next() {
                    let values = EntryColumns.values(of: row)
                    let kind: String = if case .string(let k) = values["kind"]?.storage { k } else { "" }
                    guard case .int64(let seq) = values["seq"]?.storage, seq == expectedSeq else {
                        let seq: Int64 = if case .int64(let s) = values["seq"]?.storage { s } else { expectedSeq }
                        return .broken(seq: seq, kind: kind, reason: .sequenceGap)
                    }
                    guard case .string(let prev) = values["prev_hash"]?.storage, prev == previousHash else {
                        return .broken(seq: seq, kind: kind, reason: .prevHashMismatch)
                    }
                    guard case .string(let hash) = values["hash"]?.storage,
                          hash == ChainHash.hash(prev: prev, columns: values) else {
                        return .broken(seq: seq, kind: kind, reason: .hashMismatch)
                    }
                    previousHash = hash
                    expectedSeq += 1
                    count += 1
                }
                return .intact(rows: count)
            }
        } catch {
            throw Self.wrap(error, path: path, operation: .verify)
        }
    }

    /// Internal for the test that writes rows into a file of an older schema.
    static func insert(_ records: [AuditRecord], db: Database, now: () -> Date) throws -> [AuditEntry] {
        var seq: Int64 = 0
        var prev = ChainHash.genesis
        if let last = try Row.fetchOne(db, sql: "SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1") {
            let values = EntryColumns.values(of: last)
            if case .int64(let s) = values["seq"]?.storage { seq = s }
            if case .string(let h) = values["hash"]?.storage { prev = h }
        }
        var stored: [AuditEntry] = []
        for record in records {
            seq += 1
            let recordedAt = now().milliseconds
            var columns = EntryColumns.columns(of: record)
            columns["seq"] = seq.databaseValue
            columns["kind"] = record.kind.rawValue.databaseValue
            columns["recorded_at"] = recordedAt.databaseValue
            let hash = ChainHash.hash(prev: prev, columns: columns)
            columns["prev_hash"] = prev.databaseValue
            columns["hash"] = hash.databaseValue
            let names = columns.keys.sorted()
            // Cached: one kind's rows have the same columns, so a batch compiles its INSERT once.
            let insert = try db.cachedStatement(
                sql: "INSERT INTO entries (\(names.joined(separator: ", "))) VALUES (\(names.map { _ in "?" }.joined(separator: ", ")))")
            try insert.execute(arguments: StatementArguments(names.map { columns[$0]! }))
            stored.append(AuditEntry(seq: seq, recordedAt: Date(milliseconds: recordedAt), record: record, prevHash: prev, hash: hash))
            prev = hash
        }
        return stored
    }

    /// Async accessors may also throw `CancellationError`, which passes through unchanged.
    static func wrap(_ error: any Error, path: String, operation: AuditError.Operation) -> any Error {
        error is CancellationError ? error : auditError(error, path: path, operation: operation)
    }

    static func auditError(_ error: any Error, path: String, operation: AuditError.Operation) -> AuditError {
        switch error {
        case let error as AuditError:
            return error
        case let error as DatabaseError:
            let code = error.extendedResultCode.rawValue
            return .database(path: path, operation: operation, code: code, message: error.message ?? "SQLite error \(code)")
        default:
            return .database(path: path, operation: operation, code: -1, message: String(describing: error))
        }
    }
}
