import CGit2

/// Process-wide libgit2 setup and the one place where return codes become errors.
enum LibGit2 {
    /// `git_libgit2_init` must run before any other call and only needs to run once; a static
    /// `let` is initialised lazily and exactly once, even when first touched from two threads.
    private static let initialized: Void = {
        _ = git_libgit2_init()
        SocketStream.register()
    }()

    static func ensureInitialized() {
        _ = initialized
    }

    /// libgit2's account of the failure just reported on this thread (its error is thread-local).
    static func cause(_ code: Int32) -> GitError.Cause {
        guard let last = git_error_last(), let message = last.pointee.message else {
            return GitError.Cause(code: code, message: "libgit2 error \(code)")
        }
        return GitError.Cause(code: code, message: String(cString: message))
    }

    /// Runs a libgit2 call; a negative return becomes the error that `wrap` builds from its cause.
    static func check(_ code: Int32, _ wrap: (GitError.Cause) -> GitError) throws(GitError) {
        guard code < 0 else { return }
        throw wrap(cause(code))
    }
}
