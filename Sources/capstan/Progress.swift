import CapstanCore
import CapstanReconciler
import Foundation

/// Shows an apply as it happens: a line when an action starts and when it ends. The same plain
/// lines on a terminal and in a log file; build logs only when asked for (a failed build's
/// error carries its last lines).
final class Progress: Sendable {
    private let showBuildLog: Bool

    init(showBuildLog: Bool) {
        self.showBuildLog = showBuildLog
    }

    func show(_ event: ApplyEvent) {
        switch event {
        case .started(let address, let kind):
            emit("  \(PlanRenderer.marker(kind)) \(address): \(verb(kind))…")
        case .buildLog(let address, let line):
            let trimmed = line.trimmingCharacters(in: .newlines)
            guard !trimmed.isEmpty else { return }
            if showBuildLog { emit("      \(address) | \(trimmed)") }
        case .recordFailed(let address, let reason):
            emit("  ! \(address): could not write the audit record: \(reason)")
        case .finished(let result):
            let time = String(format: "%.1fs", result.durationSeconds)
            switch result.outcome {
            case .succeeded:
                emit("  \(PlanRenderer.marker(result.kind)) \(result.address): \(result.kind.rawValue) done (\(time))")
            case .failed(let message):
                emit("  ! \(result.address): \(result.kind.rawValue) FAILED after \(time): \(message)")
            case .skipped(let message):
                emit("  ! \(result.address): \(result.kind.rawValue) skipped: \(message)")
            }
        }
    }

    func summary(_ report: ApplyReport) -> String {
        let done = report.results.filter { $0.outcome == .succeeded }.count
        if report.succeeded { return "\nApply complete: \(done) \(done == 1 ? "action" : "actions") succeeded." }
        return "\nApply incomplete: \(done) succeeded, \(report.failed.count) failed or skipped "
            + "(\(report.failed.map(\.address).joined(separator: ", "))). What did not fail is converged; "
            + "failed resources keep their previous containers."
    }

    private func verb(_ kind: ActionKind) -> String {
        switch kind {
        case .build: return "building"
        case .create: return "creating"
        case .replace: return "replacing"
        case .start: return "starting"
        case .delete: return "deleting"
        case .noop: return "checking"
        case .routes: return "writing routes"
        }
    }

    private func emit(_ line: String) {
        print(line)
        fflush(nil)  // every stream: lines appear as they happen, even through a pipe
    }
}
