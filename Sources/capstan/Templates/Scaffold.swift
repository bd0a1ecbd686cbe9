import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One file that a template writes, relative to the directory it is written into.
struct ScaffoldFile: Sendable, Equatable {
    var path: String
    var contents: String
    var executable = false
}

/// Writes scaffolded files to disk. Decisions (which files, what they say) are the templates';
/// this only refuses to clobber, creates parent directories and sets modes.
enum ScaffoldWriter {
    /// The paths of `files` that already exist under `root`.
    static func existing(_ files: [ScaffoldFile], in root: String) -> [String] {
        files.map(\.path).filter { exists(root + "/" + $0) }
    }

    static func create(_ files: [ScaffoldFile], in root: String, overwrite: Bool) throws {
        for file in files {
            let path = root + "/" + file.path
            let parent = (path as NSString).deletingLastPathComponent
            do {
                try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            } catch {
                throw CLIError("cannot create \(parent): \(error.localizedDescription)")
            }
            try writeFile(path, contents: file.contents, mode: file.executable ? 0o755 : 0o644, overwrite: overwrite)
        }
    }

    /// Creates `path` with exactly `mode` (never wider, whatever the umask allows), or with
    /// `overwrite` truncates an existing file and resets its mode.
    static func writeFile(_ path: String, contents: String, mode: mode_t, overwrite: Bool) throws {
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (overwrite ? O_TRUNC : O_EXCL)
        let fd = open(path, flags, mode)
        guard fd >= 0 else {
            let reason = errno == EEXIST ? "it already exists" : String(cString: strerror(errno))
            throw CLIError("cannot write \(path): \(reason)")
        }
        defer { close(fd) }
        guard fchmod(fd, mode) == 0 else {
            throw CLIError("cannot set the mode of \(path): \(String(cString: strerror(errno)))")
        }
        var bytes = Array(contents.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw CLIError("cannot write \(path): \(String(cString: strerror(errno)))") }
            bytes = bytes.dropFirst(n)
        }
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// `path` made absolute with its existing part's symbolic links resolved, so that two
    /// spellings of one place compare equal even before the rest of it exists.
    static func canonical(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var existing = (absolute as NSString).standardizingPath
        var rest: [String] = []
        while !existing.isEmpty && existing != "/" && !exists(existing) {
            rest.insert((existing as NSString).lastPathComponent, at: 0)
            existing = (existing as NSString).deletingLastPathComponent
        }
        var resolved = existing
        if let real = realpath(existing, nil) {
            resolved = String(cString: real)
            free(real)
        }
        return rest.reduce(resolved) { $0 == "/" ? "/" + $1 : $0 + "/" + $1 }
    }

    /// True when `path` is `directory` or below it (both canonical).
    static func isInside(_ path: String, _ directory: String) -> Bool {
        path == directory || path.hasPrefix(directory == "/" ? "/" : directory + "/")
    }
}
