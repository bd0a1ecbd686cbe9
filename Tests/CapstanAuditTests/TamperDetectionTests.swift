@testable import CapstanAudit
import Foundation
import GRDB
import Testing

/// Edits made to the file behind the store's back, each found by `verify()` at the first row
/// they break. Chain of every case: seq 1–3 actions, seq 4 the run.
struct TamperDetectionTests {
    private func chain() async throws -> (TempDir, AuditStore) {
        let dir = try TempDir()
        let store = try AuditStore(path: dir.storePath)
        _ = try await Sample.appendRun(to: store)
        #expect(try await store.verify() == .intact(rows: 4))
        return (dir, store)
    }

    @Test func changedOutcomeIsAHashMismatch() async throws {
        let (dir, store) = try await chain()
        defer { dir.remove() }

        try tamper(dir.storePath, "UPDATE entries SET outcome = 'succeeded' WHERE seq = 2")

        #expect(try await store.verify() == .broken(seq: 2, kind: "action", reason: .hashMismatch))
    }

    @Test func deletedMiddleRowIsAGap() async throws {
        let (dir, store) = try await chain()
        defer { dir.remove() }

        try tamper(dir.storePath, "DELETE FROM entries WHERE seq = 2")

        #expect(try await store.verify() == .broken(seq: 3, kind: "action", reason: .sequenceGap))
    }

    @Test func deletedRowWithRenumberedSuccessorsBreaksTheLink() async throws {
        let (dir, store) = try await chain()
        defer { dir.remove() }

        try tamper(dir.storePath, "DELETE FROM entries WHERE seq = 2; UPDATE entries SET seq = seq - 1 WHERE seq > 2")

        #expect(try await store.verify() == .broken(seq: 2, kind: "action", reason: .prevHashMismatch))
    }

    @Test func swappedHashesAreAHashMismatch() async throws {
        let (dir, store) = try await chain()
        defer { dir.remove() }

        try tamper(dir.storePath, """
            UPDATE entries SET hash = CASE seq
                WHEN 2 THEN (SELECT hash FROM entries WHERE seq = 3)
                ELSE (SELECT hash FROM entries WHERE seq = 2) END
            WHERE seq IN (2, 3)
            """)

        #expect(try await store.verify() == .broken(seq: 2, kind: "action", reason: .hashMismatch))
    }

    @Test func reorderedRowsBreakTheLink() async throws {
        let (dir, store) = try await chain()
        defer { dir.remove() }

        try tamper(dir.storePath, """
            UPDATE entries SET seq = -1 WHERE seq = 2;
            UPDATE entries SET seq = 2 WHERE seq = 3;
            UPDATE entries SET seq = 3 WHERE seq = -1;
            """)

        #expect(try await store.verify() == .broken(seq: 2, kind: "action", reason: .prevHashMismatch))
    }

    @Test func changedRunColumnIsAHashMismatch() async throws {
        let (dir, store) = try await chain()
        defer { dir.remove() }

        try tamper(dir.storePath, "UPDATE entries SET revision = 'ffff' WHERE seq = 4")

        #expect(try await store.verify() == .broken(seq: 4, kind: "run", reason: .hashMismatch))
    }

    @Test func plainSQLiteCannotUpdateOrDeleteWhileTheTriggersStand() async throws {
        let (dir, store) = try await chain()
        defer { dir.remove() }
        let db = try DatabaseQueue(path: dir.storePath)

        #expect(throws: DatabaseError.self) { try db.write { try $0.execute(sql: "UPDATE entries SET error = NULL") } }
        #expect(throws: DatabaseError.self) { try db.write { try $0.execute(sql: "DELETE FROM entries") } }
        try db.close()
        #expect(try await store.verify() == .intact(rows: 4))
    }
}
