import CGit2
#if canImport(Glibc)
import Glibc
#endif

/// A local bare mirror of a remote repository, for `capstan plan --repo URL` and the controller:
/// every branch and tag of the remote under the same name, force-updates and deletions included.
extension GitRepository {
    /// What a mirror fetches. Forced (`+`), so that a force-push upstream is followed.
    static let mirrorRefspecs = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"]

    /// Opens the mirror of `url` kept in `directory`, creating it when the directory is missing
    /// or empty, and fetches. `url` is anything git can fetch from: a local path, `file://`,
    /// `git://`, `http(s)://`, `ssh://`. The mirror records the URL without userinfo (as
    /// `remote.origin.url`); credentials, in `url` or in `credentials`, are used for this fetch
    /// only and appear in no error.
    ///
    /// Waiting on the network, to connect or for the remote to send or take more data, fails the
    /// fetch after `idleTimeout` (see `SocketStream` for what that does not cover). A failed fetch
    /// leaves the mirror's refs as they were, so the last good revision stays readable.
    public static func cloneOrOpen(
        url: String, into directory: String, credentials: GitCredentials = .none,
        idleTimeout: Duration = defaultIdleTimeout
    ) throws(GitError) -> GitRepository {
        LibGit2.ensureInitialized()
        try Transport.checkSupported(url)
        let shown = URLRedaction.redact(url)
        let repository = try isMissingOrEmpty(directory)
            ? createMirror(in: directory, shownURL: shown)
            : openMirror(in: directory, shownURL: shown)
        try SocketStream.$idleTimeout.withValue(idleTimeout) {
            Result { () throws(GitError) in try repository.fetchMirror(from: url, credentials: credentials) }
        }.get()
        return repository
    }

    /// Long enough for any live server: git's upload-pack sends a keep-alive every 5 seconds while
    /// it prepares a pack.
    public static let defaultIdleTimeout: Duration = .seconds(60)

    private static func createMirror(in directory: String, shownURL: String) throws(GitError) -> GitRepository {
        var options = git_repository_init_options()
        git_repository_init_options_init(&options, UInt32(GIT_REPOSITORY_INIT_OPTIONS_VERSION))
        options.flags = GIT_REPOSITORY_INIT_BARE.rawValue | GIT_REPOSITORY_INIT_MKPATH.rawValue
            | GIT_REPOSITORY_INIT_NO_REINIT.rawValue
        var pointer: OpaquePointer?
        try LibGit2.check(git_repository_init_ext(&pointer, directory, &options)) {
            .mirrorCreationFailed(directory: directory, cause: $0)
        }
        let repository = GitRepository(RepositoryHandle(pointer!))
        try repository.locked { (handle) throws(GitError) in
            try Self.withConfig(of: handle, { .mirrorCreationFailed(directory: directory, cause: $0) }) { (config) throws(GitError) in
                try LibGit2.check(git_config_set_string(config, originURLKey, shownURL)) {
                    .mirrorCreationFailed(directory: directory, cause: $0)
                }
            }
        }
        return repository
    }

    /// Refuses a directory that is not a mirror of the same URL, so that two sources never share
    /// (and prune) one mirror.
    private static func openMirror(in directory: String, shownURL: String) throws(GitError) -> GitRepository {
        let repository = try open(path: directory)
        let found = try repository.locked { (handle) throws(GitError) -> String? in
            guard git_repository_is_bare(handle) == 1 else { return nil }
            return try Self.withConfig(of: handle, { .openFailed(path: directory, cause: $0) }) { config in
                var value = git_buf()
                defer { git_buf_dispose(&value) }
                guard git_config_get_string_buf(&value, config, originURLKey) == 0 else { return nil }
                return String(cString: value.ptr)
            }
        }
        guard found == shownURL else { throw .notAMirror(directory: directory, url: shownURL, found: found) }
        return repository
    }

    private static let originURLKey = "remote.origin.url"

    private static func withConfig<Result>(
        of repository: OpaquePointer, _ failure: (GitError.Cause) -> GitError,
        _ body: (OpaquePointer) throws(GitError) -> Result
    ) throws(GitError) -> Result {
        var pointer: OpaquePointer?
        try LibGit2.check(git_repository_config(&pointer, repository), failure)
        return try ConfigHandle(pointer!).with(body)
    }

    private static func isMissingOrEmpty(_ directory: String) -> Bool {
        guard let dir = opendir(directory) else { return errno == ENOENT }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { return false }
        }
        return true
    }

    /// Fetches every branch and tag from `url` into the mirror, pruning what the remote no longer
    /// has, then points HEAD where the remote's HEAD points.
    func fetchMirror(from url: String, credentials: GitCredentials) throws(GitError) {
        let shown = URLRedaction.redact(url)
        let provider = CredentialProvider(credentials)
        func failure(_ cause: GitError.Cause) -> GitError {
            let scrubbed = GitError.Cause(code: cause.code, message: URLRedaction.scrub(cause.message, url: url))
            // libgit2 also fails with GIT_EAUTH without asking, e.g. for an auth scheme it lacks.
            if provider.refused || cause.code == GIT_EAUTH.rawValue {
                return .authenticationFailed(url: shown, cause: scrubbed)
            }
            return .fetchFailed(url: shown, cause: scrubbed)
        }
        try locked { (handle) throws(GitError) in
            // An in-memory remote: the full URL is never written anywhere. Skipping `insteadOf`
            // matters too: to apply it, libgit2 1.5.1 matches a regex against every configuration
            // entry, and its regex matcher leaks pcre2's match data (about 20 KB) on each miss,
            // so every named remote lookup would leak a few hundred KB in a long-lived controller.
            var options = git_remote_create_options()
            git_remote_create_options_init(&options, UInt32(GIT_REMOTE_CREATE_OPTIONS_VERSION))
            options.repository = handle
            options.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF.rawValue | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC.rawValue
            var pointer: OpaquePointer?
            try LibGit2.check(git_remote_create_with_opts(&pointer, url, &options), failure)
            try RemoteHandle(pointer!).with { (remote) throws(GitError) in
                try FetchOptions.lend(credentials: provider) { (fetchOptions) throws(GitError) -> Void in
                    try Self.withStringArray(Self.mirrorRefspecs) { (refspecs) throws(GitError) -> Void in
                        try LibGit2.check(git_remote_fetch(remote, refspecs, fetchOptions, "capstan: fetch"), failure)
                    }
                }
                // The remote's advertisement outlives the connection, so HEAD is known after the fetch.
                var branch = git_buf()
                defer { git_buf_dispose(&branch) }
                let code = git_remote_default_branch(&branch, remote)
                if code == GIT_ENOTFOUND.rawValue { return }  // an empty remote, or a detached HEAD there
                try LibGit2.check(code, failure)
                try LibGit2.check(git_repository_set_head(handle, branch.ptr), failure)
            }
        }
    }

    private static func withStringArray<Result>(
        _ strings: [String], _ body: (UnsafePointer<git_strarray>) throws(GitError) -> Result
    ) throws(GitError) -> Result {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        defer { pointers.forEach { free($0) } }
        return try pointers.withUnsafeMutableBufferPointer { (buffer) throws(GitError) -> Result in
            var array = git_strarray(strings: buffer.baseAddress, count: buffer.count)
            return try body(&array)
        }
    }
}
