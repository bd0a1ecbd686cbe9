/// Failures of the reconciler's own I/O (state directory, secrets, sources). Docker, git and
/// audit failures keep their own typed errors and are wrapped with what was being done.
public enum ReconcileError: Error, Sendable {
    case stateDirectory(path: String, reason: String)
    case secretUnreadable(name: String, directory: String)
    case source(String)
    case docker(operation: String, underlying: String)
    case savedPlanStale(reason: String)
}
