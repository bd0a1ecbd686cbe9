/// Repository URLs as they may be shown: in plans, status, logs and errors.
public enum RepositoryURL {
    /// The URL without the credentials its userinfo may carry.
    public static func redacted(_ url: String) -> String {
        URLRedaction.redact(url)
    }
}
