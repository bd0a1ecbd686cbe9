import CapstanAudit
import Foundation

/// Writes apply runs and their actions to the hash-chained audit store. Only hashes, outcomes
/// and error texts reach it: an ActionResult holds no secret value.
public struct AuditRecorder: ApplyRecorder {
    public let store: AuditStore
    /// Free bytes on the filesystem of a path; tests stand in a full disk.
    public var freeBytes: @Sendable (String) -> Int64?
    /// Below this many free bytes the controller applies nothing (see `AuditRoom`).
    public var floor: Int64

    public init(store: AuditStore, floor: Int64 = AuditRoom.floor,
                freeBytes: @escaping @Sendable (String) -> Int64? = AuditRoom.freeBytes(atPath:)) {
        self.store = store
        self.floor = floor
        self.freeBytes = freeBytes
    }

    public static func path(stateDirectory: String) -> String { stateDirectory + "/audit.db" }

    /// Why nothing may be applied now, or nil when the store has room to record a run.
    public func refusalToApply() -> String? {
        AuditRoom.refusal(freeBytes: freeBytes(store.path), floor: floor, storePath: store.path)
    }

    public static func open(stateDirectory: String) throws -> AuditRecorder {
        AuditRecorder(store: try AuditStore(path: path(stateDirectory: stateDirectory)))
    }

    public func record(action: ActionResult, runID: String) async throws {
        let outcome: AuditAction.Outcome
        switch action.outcome {
        case .succeeded: outcome = .succeeded
        case .failed: outcome = .failed
        case .skipped: outcome = .skipped
        }
        _ = try await store.append(.action(AuditAction(
            runID: runID, address: action.address, kind: action.kind.rawValue, beforeHash: action.beforeHash,
            afterHash: action.afterHash, outcome: outcome, error: action.outcome.message,
            durationMs: Int64((action.durationSeconds * 1000).rounded()))))
    }

    public func record(runID: String, revision: String, trigger: String, started: Date, ended: Date,
                       report: ApplyReport) async throws {
        let result: AuditRun.Result
        if report.results.isEmpty {
            result = .noop
        } else if report.succeeded {
            result = .succeeded
        } else {
            result = report.failed.count == report.results.count ? .failed : .partial
        }
        _ = try await store.append(.run(AuditRun(
            id: runID, revision: revision, trigger: AuditRun.Trigger(rawValue: trigger) ?? .cli,
            startedAt: started, finishedAt: ended, result: result)))
    }

    /// A revision that could not be applied at all (invalid, or unplannable): a failed run with
    /// no actions, so the audit shows every attempt.
    public func recordRejected(revision: String, trigger: String, started: Date, ended: Date) async throws {
        _ = try await store.append(.run(AuditRun(
            id: UUID().uuidString.lowercased(), revision: revision, trigger: AuditRun.Trigger(rawValue: trigger) ?? .cli,
            startedAt: started, finishedAt: ended, result: .failed)))
    }

    /// A server that spent its restart budget and is no longer restarted.
    public func recordCrashLoop(server: String, runID: String, limit: Int, window: TimeInterval) async throws {
        _ = try await store.append(.action(AuditAction(
            runID: runID, address: "server.\(server)", kind: "crash-loop", beforeHash: nil, afterHash: nil, outcome: .skipped,
            error: "restarted \(limit) times within \(Int(window)) s; left alone until its spec changes or `capstan sync --server \(server)`",
            durationMs: 0)))
    }
}
