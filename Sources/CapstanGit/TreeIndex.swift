import CGit2

/// Every entry of one commit's tree by repository-relative path, built once so that questions
/// about the tree are answered without touching libgit2 (and without its lock).
struct TreeIndex: Sendable {
    enum Kind: Sendable, Equatable {
        case file
        case executable
        case directory
        /// The target is the blob's content, read while indexing: links are few and small.
        case symlink(target: String)
        /// A gitlink; a checkout without submodules shows it as an empty directory.
        case submodule
    }

    /// `kind` is the git file mode decoded (git writes only these five); `oid` is the blob's,
    /// tree's or submodule commit's id.
    struct Entry: Sendable {
        var kind: Kind
        var oid: git_oid
    }

    /// Keyed by path; the root is "".
    let entries: [String: Entry]
    /// Paths of regular and executable files, sorted.
    let files: [String]

    static func build(_ tree: ObjectHandle, in repository: OpaquePointer, commit: CommitID) throws(GitError) -> TreeIndex {
        let (walk, code) = tree.with { tree in
            let walk = Walk(repository: repository, root: Entry(kind: .directory, oid: git_tree_id(tree).pointee))
            let code = withExtendedLifetime(walk) {
                git_tree_walk(tree, GIT_TREEWALK_PRE, { root, entry, payload in
                    Unmanaged<Walk>.fromOpaque(payload!).takeUnretainedValue().add(root: root!, entry: entry!)
                }, Unmanaged.passUnretained(walk).toOpaque())
            }
            return (walk, code)
        }
        if let failure = walk.failure { throw .treeUnreadable(commit: commit, cause: failure) }
        try LibGit2.check(code) { .treeUnreadable(commit: commit, cause: $0) }
        let files = walk.entries.compactMap { path, entry in
            entry.kind == .file || entry.kind == .executable ? path : nil
        }
        return TreeIndex(entries: walk.entries, files: files.sorted())
    }

    /// Collects entries during `git_tree_walk`, which calls back through a C function pointer.
    private final class Walk {
        let repository: OpaquePointer
        var entries: [String: Entry]
        var failure: GitError.Cause?

        init(repository: OpaquePointer, root: Entry) {
            self.repository = repository
            entries = ["": root]
        }

        func add(root: UnsafePointer<CChar>, entry: OpaquePointer) -> Int32 {
            let path = String(cString: root) + String(cString: git_tree_entry_name(entry))
            let oid = git_tree_entry_id(entry).pointee
            let kind: Kind
            switch git_tree_entry_filemode(entry) {
            case GIT_FILEMODE_TREE: kind = .directory
            case GIT_FILEMODE_BLOB: kind = .file
            case GIT_FILEMODE_BLOB_EXECUTABLE: kind = .executable
            case GIT_FILEMODE_COMMIT: kind = .submodule
            case GIT_FILEMODE_LINK:
                var blob: OpaquePointer?
                var id = oid
                let code = git_blob_lookup(&blob, repository, &id)
                guard code >= 0 else {
                    failure = LibGit2.cause(code)
                    return -1
                }
                kind = .symlink(target: String(decoding: GitRepository.content(of: ObjectHandle(blob!)), as: UTF8.self))
            default:
                return 0  // a mode git itself would not write; leave it out
            }
            entries[path] = Entry(kind: kind, oid: oid)
            return 0
        }
    }
}

extension TreeIndex {
    enum LocateFailure: Error {
        case missing, notADirectory, loop, escapes

        /// Worded like the errno a file system would give for the same path.
        var reason: String {
            switch self {
            case .missing: "No such file or directory"
            case .notADirectory: "Not a directory"
            case .loop: "Too many levels of symbolic links"
            case .escapes: "a symbolic link on the path leads outside the repository"
            }
        }
    }

    /// Finds the entry that `path` names, walking it the way the kernel walks a directory tree:
    /// symbolic links in the middle of the path are followed, the last one only when asked (as
    /// `stat` does, `lstat` does not) or when the path ends in "/". A link that leaves the
    /// repository leads nowhere: outside the commit there is nothing to read.
    func locate(_ path: String, followingFinalLink: Bool) -> Result<String, LocateFailure> {
        let mustBeDirectory = path.hasSuffix("/")
        var pending = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var resolved: [String] = []
        var hops = 0
        while !pending.isEmpty {
            let part = pending.removeFirst()
            if part == "." { continue }
            if part == ".." {
                guard !resolved.isEmpty else { return .failure(.escapes) }
                resolved.removeLast()
                continue
            }
            let candidate = (resolved + [part]).joined(separator: "/")
            guard let entry = entries[candidate] else { return .failure(.missing) }
            let isLast = pending.isEmpty
            if case .symlink(let target) = entry.kind, !isLast || followingFinalLink || mustBeDirectory {
                hops += 1
                guard hops <= 40 else { return .failure(.loop) }  // the kernel's limit (ELOOP)
                guard !target.hasPrefix("/") else { return .failure(.escapes) }
                pending = target.split(separator: "/").map(String.init) + pending
                continue
            }
            if !isLast || mustBeDirectory {
                guard entry.kind == .directory || entry.kind == .submodule else { return .failure(.notADirectory) }
            }
            resolved.append(part)
        }
        return .success(resolved.joined(separator: "/"))
    }
}
