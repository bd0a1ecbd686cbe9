import CGit2
import Synchronization

/// A git repository, working or bare. libgit2 forbids using one repository handle from two
/// threads at once, so every use goes through a lock; that is what makes this type honestly
/// `Sendable` (the manifest loader reads blobs from many threads).
public final class GitRepository: Sendable {
    private let handle: Mutex<RepositoryHandle>

    init(_ handle: sending RepositoryHandle) {
        self.handle = Mutex(handle)
    }

    /// Opens the repository at `path` exactly: a working directory (its `.git` is used), a `.git`
    /// directory, or a bare repository. Parent directories are not searched.
    public static func open(path: String) throws(GitError) -> GitRepository {
        LibGit2.ensureInitialized()
        var pointer: OpaquePointer?
        try LibGit2.check(git_repository_open_ext(&pointer, path, GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue, nil)) {
            .openFailed(path: path, cause: $0)
        }
        return GitRepository(RepositoryHandle(pointer!))
    }

    /// Runs `body` with the repository handle, holding the lock.
    func locked<Result: Sendable, Failure: Error>(
        _ body: (OpaquePointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try handle.withLock { (repository: inout sending RepositoryHandle) throws(Failure) -> Result in
            try body(repository.pointer)
        }
    }

    /// The commit that `ref` names: a branch (`main`, `refs/heads/main`), a tag (annotated or
    /// not), `HEAD`, a full or abbreviated commit id, or any other git revision expression.
    public func resolve(ref: String) throws(GitError) -> CommitID {
        try locked { (repository) throws(GitError) -> CommitID in
            var pointer: OpaquePointer?
            try LibGit2.check(git_revparse_single(&pointer, repository, ref)) { cause in
                switch git_error_code(cause.code) {
                case GIT_ENOTFOUND: .unknownRef(ref: ref, cause: cause)
                case GIT_EAMBIGUOUS: .ambiguousRef(ref: ref, cause: cause)
                default: .resolveFailed(ref: ref, cause: cause)
                }
            }
            var commit: OpaquePointer?
            try ObjectHandle(pointer!).with { (object) throws(GitError) in
                try LibGit2.check(git_object_peel(&commit, object, GIT_OBJECT_COMMIT)) { .notACommit(ref: ref, cause: $0) }
            }
            return ObjectHandle(commit!).with { CommitID(git_object_id($0).pointee) }
        }
    }

    public func commitInfo(_ id: CommitID) throws(GitError) -> CommitInfo {
        try locked { (repository) throws(GitError) -> CommitInfo in
            // The signature and summary point into the commit object: copied while it is lent.
            try Self.lookupCommit(id, in: repository).with { commit in
                let author = git_commit_author(commit)!.pointee
                return CommitInfo(
                    id: id,
                    summary: git_commit_summary(commit).map { String(cString: $0) } ?? "",
                    authorName: String(cString: author.name),
                    authorEmail: String(cString: author.email),
                    authorTime: Int64(author.when.time),
                    authorTimeZoneOffsetMinutes: Int(author.when.offset)
                )
            }
        }
    }

    /// The commit's tree, read from the object database without any checkout. Indexing the whole
    /// tree happens here, once; reading a file later loads just that blob.
    public func tree(at commit: CommitID) throws(GitError) -> GitTree {
        let index = try locked { (repository) throws(GitError) -> TreeIndex in
            var tree: OpaquePointer?
            try Self.lookupCommit(commit, in: repository).with { (commitObject) throws(GitError) in
                try LibGit2.check(git_commit_tree(&tree, commitObject)) { .treeUnreadable(commit: commit, cause: $0) }
            }
            return try TreeIndex.build(ObjectHandle(tree!), in: repository, commit: commit)
        }
        return GitTree(commit: commit, index: index, repository: self)
    }

    /// The bytes of a blob (a file's content). Callers add the context: the path it was read for.
    func blob(_ oid: git_oid) throws(GitError.Cause) -> [UInt8] {
        try locked { (repository) throws(GitError.Cause) -> [UInt8] in
            var oid = oid
            var pointer: OpaquePointer?
            let code = git_blob_lookup(&pointer, repository, &oid)
            guard code >= 0 else { throw LibGit2.cause(code) }
            return Self.content(of: ObjectHandle(pointer!))
        }
    }

    /// A blob's size from its object header, without reading (or inflating) its content.
    func blobSize(_ oid: git_oid) throws(GitError.Cause) -> Int {
        try locked { (repository) throws(GitError.Cause) -> Int in
            var odb: OpaquePointer?
            let opened = git_repository_odb(&odb, repository)
            guard opened >= 0, let odb else { throw LibGit2.cause(opened) }
            defer { git_odb_free(odb) }
            var oid = oid
            var size = 0
            var type = GIT_OBJECT_ANY
            let code = git_odb_read_header(&size, &type, odb, &oid)
            guard code >= 0 else { throw LibGit2.cause(code) }
            return size
        }
    }

    static func content(of blob: ObjectHandle) -> [UInt8] {
        blob.with { blob in
            let size = Int(git_blob_rawsize(blob))
            guard size > 0, let raw = git_blob_rawcontent(blob) else { return [] }
            return Array(UnsafeRawBufferPointer(start: raw, count: size))
        }
    }

    private static func lookupCommit(_ id: CommitID, in repository: OpaquePointer) throws(GitError) -> ObjectHandle {
        var oid = id.oid
        var pointer: OpaquePointer?
        try LibGit2.check(git_commit_lookup(&pointer, repository, &oid)) { .commitNotFound(commit: id, cause: $0) }
        return ObjectHandle(pointer!)
    }
}
