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
    /// A file's size in bytes, known before it is read (0 for anything else).
    public var size: Int

    public init(path: String, kind: Kind, size: Int = 0) {
        self.path = path
        self.kind = kind
        self.size = size
    }
}

/// A tree that can hand over a Project's context: every entry below a directory, hidden ones
/// included, symbolic links reported and never followed.
public protocol BuildContextSource: SourceTree {
    func contextEntries(under directory: String) throws(SourceError) -> [ContextEntry]
}
