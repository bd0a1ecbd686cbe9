/// One entry of a build context, hidden files included (a context is sent whole).
public struct ContextEntry: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case file(executable: Bool)
        case directory
        case symlink(target: String)
    }

    /// Relative to the context directory.
    public var path: String
    public var kind: Kind

    public init(path: String, kind: Kind) {
        self.path = path
        self.kind = kind
    }
}

/// A tree that can hand over a Project's context: every entry below a directory, hidden ones
/// included, symbolic links reported and never followed.
public protocol BuildContextSource: SourceTree {
    func contextEntries(under directory: String) throws(SourceError) -> [ContextEntry]
}
