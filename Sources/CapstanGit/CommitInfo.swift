/// What `capstan plan` and the audit store show about a commit.
public struct CommitInfo: Sendable, Equatable {
    public var id: CommitID
    /// The first paragraph of the message, joined into one line (git's "subject").
    public var summary: String
    public var authorName: String
    public var authorEmail: String
    /// Author time in seconds since 1970-01-01 UTC, and the author's UTC offset in minutes.
    public var authorTime: Int64
    public var authorTimeZoneOffsetMinutes: Int

    public init(id: CommitID, summary: String, authorName: String, authorEmail: String,
                authorTime: Int64, authorTimeZoneOffsetMinutes: Int) {
        self.id = id
        self.summary = summary
        self.authorName = authorName
        self.authorEmail = authorEmail
        self.authorTime = authorTime
        self.authorTimeZoneOffsetMinutes = authorTimeZoneOffsetMinutes
    }
}
