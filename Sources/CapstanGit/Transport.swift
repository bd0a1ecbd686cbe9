import CGit2

/// Which libgit2 transport a URL goes to, as far as CapstanGit needs to know before fetching.
enum Transport {
    /// The libgit2 here was built with SSH (Debian's 1.5.1 is, through libssh2).
    static var sshSupported: Bool {
        LibGit2.ensureInitialized()
        return git_libgit2_features() & Int32(GIT_FEATURE_SSH.rawValue) != 0
    }

    /// libgit2 1.5.1's own rule: an SSH scheme, or no scheme it knows and a ":" anywhere (scp-like
    /// `git@host:org/repo.git`; on Linux this wins over a local path with a colon in it).
    static func isSSH(_ url: String) -> Bool {
        let lower = url.lowercased()
        if ["ssh://", "ssh+git://", "git+ssh://"].contains(where: lower.hasPrefix) { return true }
        if ["git://", "http://", "https://", "file://"].contains(where: lower.hasPrefix) { return false }
        return url.contains(":")
    }

    /// Refuses an SSH URL up front when there is no SSH, where libgit2 would only say
    /// "unsupported URL protocol".
    static func checkSupported(_ url: String, sshSupported: Bool = Transport.sshSupported) throws(GitError) {
        if !sshSupported && isSSH(url) { throw .sshUnsupported(url: URLRedaction.redact(url)) }
    }
}
