@testable import CapstanAudit
import Foundation
import GRDB
import Testing

/// Gateway tool calls as rows of the one chain.
struct ToolCallRecordTests {
    @Test func everyFieldOfEveryOutcomeReadsBack() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let store = try AuditStore(path: dir.storePath)
        var calls = AuditToolCall.Outcome.allCases.enumerated().map { i, outcome in
            AuditToolCall(startedAt: Date(timeIntervalSince1970: 1_767_225_600.125 + Double(i)), client: "alice",
                          server: "weather", tool: "forecast", decision: outcome == .denied ? .denied : .allowed,
                          outcome: outcome, durationMs: Int64(i * 7), argumentsSHA256: Sample.argumentsHash(i),
                          protocolVersion: "2025-11-25", error: outcome == .ok ? nil : "failed as \(outcome.rawValue)")
        }
        calls.append(AuditToolCall(startedAt: StepClock.start, client: "bob", server: "", tool: "no_such_thing",
                                   decision: .denied, outcome: .denied, durationMs: 0,
                                   argumentsSHA256: Sample.argumentsHash(99), protocolVersion: nil, error: nil))

        let stored = try await store.append(contentsOf: calls.map(AuditRecord.call))
        let read = try await store.entries()

        #expect(read == stored)
        #expect(read.map(\.record) == calls.map(AuditRecord.call))
        guard case .call(let toolError) = read[1].record else {
            Issue.record("expected a call, got \(read[1].record.kind)")
            return
        }
        #expect(toolError.startedAt == Date(timeIntervalSince1970: 1_767_225_601.125))
        #expect(toolError.client == "alice")
        #expect(toolError.server == "weather")
        #expect(toolError.tool == "forecast")
        #expect(toolError.decision == .allowed)
        #expect(toolError.outcome == .toolError)
        #expect(toolError.durationMs == 7)
        #expect(toolError.argumentsSHA256 == Sample.argumentsHash(1))
        #expect(toolError.protocolVersion == "2025-11-25")
        #expect(toolError.error == "failed as tool-error")
        #expect(try await store.verify() == .intact(rows: calls.count))
    }

    @Test func outcomesAreStoredUnderTheirDocumentedNames() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let store = try AuditStore(path: dir.storePath)

        try await store.append(contentsOf: AuditToolCall.Outcome.allCases.map { .call(Sample.call(outcome: $0)) })

        let stored = try await store.pool.read { try String.fetchAll($0, sql: "SELECT outcome FROM entries ORDER BY seq") }
        #expect(stored == ["ok", "tool-error", "protocol-error", "timeout", "denied", "unavailable"])
        #expect(try await store.pool.read { try String.fetchAll($0, sql: "SELECT DISTINCT kind FROM entries") } == ["call"])
    }

    @Test func longCallErrorIsTruncatedToOneKiB() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let store = try AuditStore(path: dir.storePath)

        try await store.append(.call(Sample.call(outcome: .protocolError, error: String(repeating: "x", count: 5000))))

        guard case .call(let call) = try await store.entries()[0].record, let error = call.error else {
            Issue.record("no call with an error read back")
            return
        }
        #expect(error.utf8.count <= AuditToolCall.maxErrorBytes)
        #expect(error.hasSuffix("… [truncated, 5000 bytes in all]"))
    }

    /// A denied call's tool name is whatever the client sent; the row keeps a bounded part.
    @Test func oversizedNamesAreTruncated() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let store = try AuditStore(path: dir.storePath)

        try await store.append(.call(Sample.call(server: "", tool: String(repeating: "t", count: 100_000),
                                                 decision: .denied, outcome: .denied)))

        guard case .call(let call) = try await store.entries()[0].record else {
            Issue.record("no call read back")
            return
        }
        #expect(call.tool.utf8.count <= AuditToolCall.maxNameBytes)
        #expect(call.tool.hasPrefix("tttt") && call.tool.hasSuffix("… [truncated, 100000 bytes in all]"))
        #expect(call.client == "alice")
    }

    @Test func chainOfRunsActionsAndCallsVerifies() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let store = try AuditStore(path: dir.storePath)

        try await store.append(.call(Sample.call(n: 1)))
        _ = try await Sample.appendRun(to: store)
        try await store.append(contentsOf: [.call(Sample.call(n: 2)), .call(Sample.call(decision: .denied, outcome: .denied, n: 3))])

        let entries = try await store.entries()
        #expect(entries.map(\.record.kind) == [.call, .action, .action, .action, .run, .call, .call])
        for i in 1..<entries.count { #expect(entries[i].prevHash == entries[i - 1].hash) }
        #expect(try await store.verify() == .intact(rows: 7))
    }

    @Test func changedCallColumnIsAHashMismatch() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let store = try AuditStore(path: dir.storePath)
        _ = try await Sample.appendRun(to: store)
        try await store.append(contentsOf: [.call(Sample.call(decision: .denied, outcome: .denied, n: 1)), .call(Sample.call(n: 2))])

        try tamper(dir.storePath, "UPDATE entries SET decision = 'allowed', outcome = 'ok' WHERE seq = 5")

        #expect(try await store.verify() == .broken(seq: 5, kind: "call", reason: .hashMismatch))
    }

    /// NULL columns are left out of the hash, so blanking one must still change the hash.
    @Test func blankedCallColumnIsAHashMismatch() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let store = try AuditStore(path: dir.storePath)
        try await store.append(contentsOf: [.call(Sample.call(n: 1)), .call(Sample.call(n: 2))])

        try tamper(dir.storePath, "UPDATE entries SET protocol_version = NULL WHERE seq = 2")

        #expect(try await store.verify() == .broken(seq: 2, kind: "call", reason: .hashMismatch))
    }

    /// A file written before calls existed keeps its hashes: the new columns are NULL there.
    @Test func storeOfTheFirstSchemaMigratesWithItsChainIntact() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.path + "/state", withIntermediateDirectories: true)
        let old = try DatabaseQueue(path: dir.storePath)
        try Schema.migrator.migrate(old, upTo: "v1-runs-and-actions")
        let oldRows = try await old.write { db in
            try AuditStore.insert(Sample.actions.map(AuditRecord.action) + [.run(Sample.run)], db: db, now: Date.init)
        }
        try old.close()

        let store = try AuditStore(path: dir.storePath)
        #expect(try await store.verify() == .intact(rows: 4))
        #expect(try await store.entries() == oldRows)

        let call = try await store.append(.call(Sample.call()))
        #expect(call.prevHash == oldRows[3].hash)
        #expect(try await store.verify() == .intact(rows: 5))
    }
}

/// Any client can put a NUL in a tool name; the row must still verify.
@Suite struct NulInTextTests {
    @Test func aNulInAnyTextIsStoredAsReplacementCharacterAndTheChainVerifies() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let store = try AuditStore(path: dir.storePath)
        _ = try await store.append(.call(Sample.call(tool: "x__y\u{0}z", error: "bad\u{0}")))
        _ = try await store.append(.action(AuditAction(runID: "r\u{0}", address: "server.a\u{0}", kind: "create", beforeHash: nil,
                                                       afterHash: nil, outcome: .failed, error: "e\u{0}", durationMs: 1)))
        _ = try await store.append(.call(Sample.call(n: 2)))
        let verification = try await store.verify()
        #expect(verification == .intact(rows: 3))
        let calls = try await store.calls()
        guard case .call(let call) = calls.first?.record else { Issue.record("no call"); return }
        #expect(call.tool == "x__y\u{FFFD}z")
        #expect(call.error == "bad\u{FFFD}")
    }
}
