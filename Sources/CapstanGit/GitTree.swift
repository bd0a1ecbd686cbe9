import CapstanCore

/// One commit's files, read from the object database: no checkout, no working directory.
/// Behaves like `DirectoryTree` on a checkout of the commit, except that a symbolic link leading
/// outside the repository leads nowhere (a checkout would read whatever is there on the host).
public struct GitTree: BuildContextSource {
    public let commit: CommitID
    let index: TreeIndex
    let repository: GitRepository

    init(commit: CommitID, index: TreeIndex, repository: GitRepository) {
        self.commit = commit
        self.index = index
        self.repository = repository
    }

    public func files(under directory: String) throws(SourceError) -> [String] {
        guard kind(of: directory) == .directory,
              case .success(let real) = index.locate(directory, followingFinalLink: true) else {
            throw .notADirectory(path: directory)
        }
        let prefix = real.isEmpty ? "" : real + "/"
        var result: [String] = []
        for path in index.files where path.hasPrefix(prefix) {
            let rest = path.dropFirst(prefix.count)
            // Hidden files are skipped along with hidden directories, as DirectoryTree does.
            if rest.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
            result.append(directory.isEmpty ? String(rest) : directory + "/" + rest)
        }
        return result.sorted()
    }

    public func kind(of path: String) -> EntryKind {
        guard case .success(let real) = index.locate(path, followingFinalLink: false),
              let entry = index.entries[real] else {
            return .missing
        }
        switch entry.kind {
        case .file, .executable: return .file
        case .directory, .submodule: return .directory
        case .symlink(let target): return .symlink(target: target)
        }
    }

    public func read(_ path: String) throws(SourceError) -> [UInt8] {
        let real: String
        switch index.locate(path, followingFinalLink: true) {
        case .success(let found): real = found
        case .failure(let failure): throw .unreadable(path: path, reason: failure.reason)
        }
        guard let entry = index.entries[real], entry.kind == .file || entry.kind == .executable else {
            throw .unreadable(path: path, reason: "Is a directory")
        }
        do {
            return try repository.blob(entry.oid)
        } catch {
            throw .unreadable(path: path, reason: error.message)
        }
    }

    /// Everything below `directory` (which may be reached through links inside the repository),
    /// hidden entries included, in the order DirectoryTree walks a checkout: depth first, names
    /// sorted.
    public func contextEntries(under directory: String) throws(SourceError) -> [ContextEntry] {
        let real: String
        switch index.locate(directory, followingFinalLink: true) {
        case .success(let found): real = found
        case .failure(let failure): throw .unreadable(path: directory, reason: failure.reason)
        }
        guard let top = index.entries[real], top.kind == .directory || top.kind == .submodule else {
            throw .unreadable(path: directory, reason: "Not a directory")
        }
        let prefix = real.isEmpty ? "" : real + "/"
        var result: [ContextEntry] = []
        for (path, entry) in index.entries where path.hasPrefix(prefix) && path != real {
            let relative = String(path.dropFirst(prefix.count))
            switch entry.kind {
            case .file, .executable:
                let size: Int
                do {
                    size = try repository.blobSize(entry.oid)
                } catch {
                    throw .unreadable(path: directory.isEmpty ? relative : directory + "/" + relative, reason: error.message)
                }
                result.append(ContextEntry(path: relative, kind: .file(executable: entry.kind == .executable), size: size))
            case .directory, .submodule: result.append(ContextEntry(path: relative, kind: .directory))
            case .symlink(let target): result.append(ContextEntry(path: relative, kind: .symlink(target: target)))
            }
        }
        return result.sorted { $0.path.split(separator: "/").lexicographicallyPrecedes($1.path.split(separator: "/")) }
    }
}
