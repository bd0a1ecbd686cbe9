import CGit2

/// The options every fetch uses. They are lent to the fetch rather than returned, so that state
/// the callbacks point to (`callbacks.payload`, e.g. a credential provider's for
/// `callbacks.credentials`) can live exactly as long as the fetch.
enum FetchOptions {
    static func lend<Result>(
        _ body: (UnsafePointer<git_fetch_options>) throws(GitError) -> Result
    ) throws(GitError) -> Result {
        var options = git_fetch_options()
        git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION))
        options.prune = GIT_FETCH_PRUNE
        // The refspecs name every tag already; no automatic tag following on top.
        options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE
        options.update_fetchhead = 0
        return try body(&options)
    }
}
