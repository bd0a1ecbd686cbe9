import CGit2

/// The options every fetch uses. They are lent to the fetch rather than returned, so that state
/// the callbacks point to (`callbacks.payload`: the credential provider) lives exactly as long
/// as the fetch.
enum FetchOptions {
    static func lend<Result>(
        credentials provider: CredentialProvider,
        _ body: (UnsafePointer<git_fetch_options>) throws(GitError) -> Result
    ) throws(GitError) -> Result {
        var options = git_fetch_options()
        git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION))
        options.prune = GIT_FETCH_PRUNE
        // The refspecs name every tag already; no automatic tag following on top.
        options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE
        options.update_fetchhead = 0
        options.callbacks.credentials = CredentialProvider.callback
        options.callbacks.payload = Unmanaged.passUnretained(provider).toOpaque()
        return try withExtendedLifetime(provider) { () throws(GitError) -> Result in try body(&options) }
    }
}
