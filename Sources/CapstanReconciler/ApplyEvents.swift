import CapstanCore
import Foundation

/// How one action ended.
public enum ActionOutcome: Sendable, Equatable {
    case succeeded
    case failed(String)
    /// Not attempted because something it depends on failed.
    case skipped(String)

    public var word: String {
        switch self {
        case .succeeded: return "succeeded"
        case .failed: return "failed"
        case .skipped: return "skipped"
        }
    }

    public var message: String? {
        switch self {
        case .succeeded: return nil
        case .failed(let m), .skipped(let m): return m
        }
    }
}

/// What an apply reports as it goes, for a progress display; never carries a secret.
public enum ApplyEvent: Sendable {
    case started(address: String, kind: ActionKind)
    case buildLog(address: String, line: String)
    case finished(ActionResult)
    /// The audit store could not take the action's record; the action itself stands.
    case recordFailed(address: String, reason: String)
}

public struct ActionResult: Sendable {
    public var address: String
    public var kind: ActionKind
    public var outcome: ActionOutcome
    public var beforeHash: String?
    public var afterHash: String?
    public var durationSeconds: Double
}

public struct ApplyReport: Sendable {
    public var results: [ActionResult]

    public var failed: [ActionResult] { results.filter { $0.outcome != .succeeded } }
    public var succeeded: Bool { failed.isEmpty }
}

/// Where an apply's run and actions are recorded (the audit store); a protocol so that the
/// applier does not depend on the storage.
public protocol ApplyRecorder: Sendable {
    func record(action: ActionResult, runID: String) async throws
    func record(runID: String, revision: String, trigger: String, started: Date, ended: Date, report: ApplyReport) async throws
}
