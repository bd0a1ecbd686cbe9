import CGit2

/// Everything CapstanGit reports. Each case names what was being done and to what; libgit2
/// failures carry libgit2's own code and message. URLs in here never carry userinfo, and
/// libgit2's messages are scrubbed of it, so an error can be logged as it is.
public enum GitError: Error, Sendable, Equatable {
    /// A libgit2 return code (`git_error_code`, negative) and the message libgit2 gave.
    public struct Cause: Error, Sendable, Equatable, CustomStringConvertible {
        public var code: Int32
        public var message: String

        public init(code: Int32, message: String) {
            self.code = code
            self.message = message
        }

        public var description: String { message }
    }

    case openFailed(path: String, cause: Cause)
    /// Creating a new mirror (a bare repository with an `origin` remote) failed.
    case mirrorCreationFailed(directory: String, cause: Cause)
    /// The directory holds something other than a mirror of this URL: not a bare repository,
    /// no `origin` remote, or one for another URL (`found`, also without userinfo).
    case notAMirror(directory: String, url: String, found: String?)
    case fetchFailed(url: String, cause: Cause)
    /// The remote asked for credentials and those given were refused, or none were given, or they
    /// are of a kind the remote does not take. The cause says which; it never holds a secret.
    case authenticationFailed(url: String, cause: Cause)
    /// An `ssh://` (or scp-like `host:path`) URL, and this libgit2 was built without SSH.
    case sshUnsupported(url: String)
    /// The private key file for SSH is missing or unreadable; `reason` is the system's.
    case sshKeyUnreadable(path: String, reason: String)
    /// A token or passphrase file that cannot be read; `reason` is the system's.
    case credentialFileUnreadable(path: String, reason: String)
    /// A token or passphrase file holding nothing but white space.
    case credentialFileEmpty(path: String)
    /// The environment variable that should hold a token or passphrase is not set, or is empty.
    case credentialVariableUnset(name: String)
    case credentialVariableEmpty(name: String)
    case unknownRef(ref: String, cause: Cause)
    /// An abbreviated commit id (or a name) that matches more than one object.
    case ambiguousRef(ref: String, cause: Cause)
    /// Any other failure to parse or look up a revision, e.g. malformed syntax.
    case resolveFailed(ref: String, cause: Cause)
    /// The ref names an object that does not lead to a commit (a tree, a blob, a tag of one).
    case notACommit(ref: String, cause: Cause)
    case commitNotFound(commit: CommitID, cause: Cause)
    case treeUnreadable(commit: CommitID, cause: Cause)
}

extension GitError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .openFailed(let path, let cause):
            return "cannot open git repository \(path): \(cause)"
        case .mirrorCreationFailed(let directory, let cause):
            return "cannot create a mirror in \(directory): \(cause)"
        case .notAMirror(let directory, let url, let found):
            let what = found.map { "a mirror of \($0)" } ?? "not a mirror made by capstan"
            return "\(directory) should be a mirror of \(url) but is \(what)"
        case .fetchFailed(let url, let cause):
            return "cannot fetch \(url): \(cause)"
        case .authenticationFailed(let url, let cause):
            return "authentication to \(url) failed: \(cause)"
        case .sshUnsupported(let url):
            return "cannot fetch \(url): this build of libgit2 has no SSH support"
        case .sshKeyUnreadable(let path, let reason):
            return "cannot read the SSH private key \(path): \(reason)"
        case .credentialFileUnreadable(let path, let reason):
            return "cannot read the credential file \(path): \(reason)"
        case .credentialFileEmpty(let path):
            return "the credential file \(path) is empty"
        case .credentialVariableUnset(let name):
            return "the environment variable \(name), which should hold a credential, is not set"
        case .credentialVariableEmpty(let name):
            return "the environment variable \(name), which should hold a credential, is empty"
        case .unknownRef(let ref, _):
            return "unknown revision \"\(ref)\""
        case .ambiguousRef(let ref, let cause):
            return "ambiguous revision \"\(ref)\": \(cause)"
        case .resolveFailed(let ref, let cause):
            return "cannot resolve revision \"\(ref)\": \(cause)"
        case .notACommit(let ref, let cause):
            return "revision \"\(ref)\" is not a commit: \(cause)"
        case .commitNotFound(let commit, let cause):
            return "commit \(commit) not found: \(cause)"
        case .treeUnreadable(let commit, let cause):
            return "cannot read the tree of commit \(commit): \(cause)"
        }
    }
}
