/// Failures of the reconciler's own I/O: the state directory and the secret store. Docker, git
/// and audit failures keep their own typed errors.
public enum ReconcileError: Error, Sendable, CustomStringConvertible {
    case stateDirectory(path: String, reason: String)
    case secretUnreadable(name: String, directory: String)
    /// A NUL byte: no environment variable can hold it, and the engine's refusal would quote the value.
    case secretHasNul(name: String, directory: String)

    public var description: String {
        switch self {
        case .stateDirectory(let path, let reason): return "state directory \(path): \(reason)"
        case .secretUnreadable(let name, let directory): return "cannot read secret \"\(name)\" in \(directory)"
        case .secretHasNul(let name, let directory):
            return "secret \"\(name)\" in \(directory) contains a NUL byte, which an environment variable cannot hold; rewrite the file without it"
        }
    }
}
