import CapstanCore
import Foundation
#if canImport(Glibc)
import Glibc
private let posixWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let posixWrite = Darwin.write
#endif

/// The file operations of the client commands: exclusive creation, atomic replacement that keeps
/// a file's mode, and the paths that must never hold a token.
enum ClientFiles {
    static func absolute(_ path: String) -> String {
        let expanded = NSString(string: path).expandingTildeInPath
        if expanded.hasPrefix("/") { return URL(fileURLWithPath: expanded).standardizedFileURL.path }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(expanded).standardizedFileURL.path
    }

    /// The file's bytes, nil when it does not exist.
    static func read(_ path: String) throws -> [UInt8]? {
        var st = stat()
        guard stat(path, &st) == 0 else {
            if errno == ENOENT { return nil }
            throw CLIError("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError("cannot read \(path)")
        }
        return Array(data)
    }

    static func mode(of path: String) -> mode_t? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return st.st_mode & 0o7777
    }

    /// The path with its symbolic links resolved, so an edit lands in the real file (dotfile
    /// managers link configuration files).
    static func resolved(_ path: String) -> String {
        guard let real = realpath(path, nil) else { return path }
        defer { free(real) }
        return String(cString: real)
    }

    /// Creates a new file; fails when anything exists at `path`.
    static func createExclusive(_ path: String, _ bytes: [UInt8], mode: mode_t) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { throw CLIError("cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        try write(fd, bytes, path: path)
        guard fchmod(fd, mode) == 0, fsync(fd) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(path)
            throw CLIError("cannot write \(path): \(reason)")
        }
    }

    /// Replaces the file's contents all at once (a temporary file renamed over it), with `mode`.
    static func replace(_ path: String, _ bytes: [UInt8], mode: mode_t) throws {
        let directory = (path as NSString).deletingLastPathComponent
        var template = Array(((directory.isEmpty ? "." : directory) + "/.capstan-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw CLIError("cannot write in \(directory): \(String(cString: strerror(errno)))") }
        let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        do {
            defer { close(fd) }
            try write(fd, bytes, path: path)
            guard fchmod(fd, mode) == 0, fsync(fd) == 0 else {
                throw CLIError("cannot write \(path): \(String(cString: strerror(errno)))")
            }
        } catch {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw CLIError("cannot replace \(path): \(reason)")
        }
    }

    private static func write(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { posixWrite(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CLIError("cannot write \(path): \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }

    static func makeDirectories(_ path: String, mode: Int = 0o755) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: mode])
        } catch {
            throw CLIError("cannot create directory \(path): \(error.localizedDescription)")
        }
    }

    /// The permissions a new file gets from the process's umask.
    static func defaultFileMode() -> mode_t {
        let mask = umask(0o022)
        umask(mask)
        return 0o666 & ~mask
    }

    /// The directories a token must stay out of: the manifest repository and the git work tree
    /// that holds it, both with their links resolved.
    static func repositoryRoots(_ repository: String) -> [String] {
        let real = resolved(absolute(repository))
        var roots = [real]
        var dir = real
        while true {
            if FileManager.default.fileExists(atPath: dir + "/.git") {
                if dir != real { roots.append(dir) }
                break
            }
            let parent = (dir as NSString).deletingLastPathComponent
            if parent == dir || parent.isEmpty { break }
            dir = parent
        }
        return roots
    }

    static func isInside(_ path: String, _ root: String) -> Bool {
        root == "/" || path == root || path.hasPrefix(root + "/")
    }

    /// The capstan executable as the user invoked it: a symbolic link on PATH stays a link, so
    /// configurations survive an upgrade that moves the real binary.
    static func capstanExecutable() -> String {
        let arg0 = CommandLine.arguments.first ?? "capstan"
        if arg0.contains("/") { return absolute(arg0) }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") where dir.hasPrefix("/") {
            let candidate = dir + "/" + arg0
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return resolved("/proc/self/exe")
    }
}
