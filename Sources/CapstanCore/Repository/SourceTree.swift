/// What a path in a repository is. Paths are repository-relative with "/" separators; the root is "".
public enum EntryKind: Sendable, Equatable {
    case file
    case directory
    case symlink(target: String)
    case missing
}

/// A repository's files as the loader needs them: a working directory today, a git commit's
/// tree later. Implementations do the I/O; everything that decides stays in the loader.
public protocol SourceTree: Sendable {
    /// Regular files under `directory`, recursively, never entering hidden directories
    /// (name starting with ".") and never following symbolic links. Sorted.
    func files(under directory: String) throws(SourceError) -> [String]
    func kind(of path: String) -> EntryKind
    func read(_ path: String) throws(SourceError) -> [UInt8]
}

public enum SourceError: Error, Sendable, Equatable {
    case notADirectory(path: String)
    case unreadable(path: String, reason: String)
}

/// Resolves a repository-relative path through symbolic links, refusing any that leads out of
/// the repository. Returns the real repository-relative path.
enum PathResolver {
    enum Problem: Error, Equatable {
        case escapes(link: String, target: String)
        case loop(link: String)
    }

    static func resolve(_ path: String, in tree: some SourceTree) -> Result<String, Problem> {
        var pending = path.split(separator: "/").map(String.init)
        var resolved: [String] = []
        var hops = 0
        while !pending.isEmpty {
            let part = pending.removeFirst()
            let candidate = (resolved + [part]).joined(separator: "/")
            guard case .symlink(let target) = tree.kind(of: candidate) else {
                resolved.append(part)
                continue
            }
            hops += 1
            if hops > 40 { return .failure(.loop(link: candidate)) }
            let base = target.hasPrefix("/") ? "/" : resolved.joined(separator: "/")
            guard !target.hasPrefix("/"),
                  case .success(let joined) = RelativePath.normalize(base.isEmpty ? target : base + "/" + target) else {
                return .failure(.escapes(link: candidate, target: target))
            }
            resolved = []
            pending = joined.split(separator: "/").map(String.init) + pending
        }
        return .success(resolved.joined(separator: "/"))
    }
}
