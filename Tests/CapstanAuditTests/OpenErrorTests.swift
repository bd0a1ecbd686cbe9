@testable import CapstanAudit
import Foundation
import GRDB
import Testing

/// Files and directories the store cannot use become typed errors naming the path.
struct OpenErrorTests {
    @Test func fileThatIsNotADatabaseNamesThePath() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let path = dir.path + "/audit.sqlite"
        try Data(String(repeating: "this is not a database\n", count: 100).utf8).write(to: URL(fileURLWithPath: path))

        let error = #expect(throws: AuditError.self) { try AuditStore(path: path) }

        guard case .database(let errorPath, _, let code, let message)? = error else {
            Issue.record("expected a database error, got \(String(describing: error))")
            return
        }
        #expect(errorPath == path)
        #expect(code == 26)  // SQLITE_NOTADB
        #expect(message.contains("not a database"))
    }

    @Test func directoryThatCannotBeCreatedNamesIt() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        try Data("a file".utf8).write(to: URL(fileURLWithPath: dir.path + "/blocker"))

        let error = #expect(throws: AuditError.self) { try AuditStore(path: dir.path + "/blocker/state/audit.sqlite") }

        guard case .createDirectory(let path, _)? = error else {
            Issue.record("expected a directory error, got \(String(describing: error))")
            return
        }
        #expect(path == dir.path + "/blocker/state")
    }

    @Test func fileFromANewerSchemaIsRefused() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        _ = try AuditStore(path: dir.storePath)
        let db = try DatabaseQueue(path: dir.storePath)
        try db.write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-the-future')") }
        try db.close()

        #expect(throws: AuditError.newerSchema(path: dir.storePath)) { try AuditStore(path: dir.storePath) }
    }

    @Test func readingOpensNothingNewAndWritesNothing() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        #expect(throws: AuditError.self) { try AuditStore(readingFrom: dir.storePath) }
        #expect(!FileManager.default.fileExists(atPath: dir.storePath), "reading creates no store")

        let writer = try AuditStore(path: dir.storePath)
        try await writer.append(contentsOf: Sample.actions.map(AuditRecord.action) + [.run(Sample.run)])
        let reader = try AuditStore(readingFrom: dir.storePath)
        #expect(try await reader.verify() == .intact(rows: 4))
        #expect(try await reader.entries().count == 4)
        await #expect(throws: AuditError.self) { try await reader.append(.run(Sample.run)) }
        #expect(try await writer.verify() == .intact(rows: 4))
    }

    @Test func readingAStoreAnOlderCapstanWroteSaysHowToUpgradeIt() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        _ = try AuditStore(path: dir.storePath)
        let db = try DatabaseQueue(path: dir.storePath)
        let last = try db.read { try String.fetchOne($0, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid DESC LIMIT 1") }
        try db.write { try $0.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = ?", arguments: [last]) }
        try db.close()

        let error = #expect(throws: AuditError.olderSchema(path: dir.storePath)) { try AuditStore(readingFrom: dir.storePath) }
        #expect(error.map { "\($0)" }?.contains("run the controller, the gateway or an apply with this version once") == true)
    }
}
