#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A working directory on disk.
public struct DirectoryTree: BuildContextSource {
    public let root: String

    public init(root: String) {
        self.root = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
    }

    private func absolute(_ path: String) -> String {
        path.isEmpty ? root : root + "/" + path
    }

    public func files(under directory: String) throws(SourceError) -> [String] {
        guard kind(of: directory) == .directory else { throw .notADirectory(path: directory) }
        var result: [String] = []
        try walk(directory, into: &result)
        return result.sorted()
    }

    private func walk(_ directory: String, into result: inout [String]) throws(SourceError) {
        // Hidden files and directories are never manifests; links are never followed.
        for name in try names(in: directory) where !name.hasPrefix(".") {
            let path = directory.isEmpty ? name : directory + "/" + name
            switch kind(of: path) {
            case .directory: try walk(path, into: &result)
            case .file: result.append(path)
            case .symlink, .missing: continue
            }
        }
    }

    /// The names in a directory, without "." and "..".
    private func names(in directory: String) throws(SourceError) -> [String] {
        guard let dir = opendir(absolute(directory)) else {
            throw .unreadable(path: directory, reason: String(cString: strerror(errno)))
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    public func kind(of path: String) -> EntryKind {
        var st = stat()
        guard lstat(absolute(path), &st) == 0 else { return .missing }
        switch st.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFREG: return .file
        case S_IFLNK:
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(absolute(path), &buffer, buffer.count - 1)
            guard n >= 0 else { return .missing }
            return .symlink(target: String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self))
        default: return .missing
        }
    }

    public func read(_ path: String) throws(SourceError) -> [UInt8] {
        let fd = open(absolute(path), O_RDONLY)
        guard fd >= 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        // Read into a buffer of the file's size; keep reading in case it grew meanwhile.
        var bytes = [UInt8](repeating: 0, count: max(Int(st.st_size), 0) + 1)
        var filled = 0
        while true {
            if filled == bytes.count { bytes += [UInt8](repeating: 0, count: bytes.count) }
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { break }
            filled += n
        }
        bytes.removeSubrange(filled...)
        return bytes
    }

    public func contextEntries(under directory: String) throws(SourceError) -> [ContextEntry] {
        var result: [ContextEntry] = []
        try collect(directory, relative: "", into: &result)
        return result
    }

    private func collect(_ directory: String, relative: String, into result: inout [ContextEntry]) throws(SourceError) {
        for name in try names(in: directory).sorted() {
            let path = directory + "/" + name
            let rel = relative.isEmpty ? name : relative + "/" + name
            var st = stat()
            guard lstat(absolute(path), &st) == 0 else { continue }
            switch st.st_mode & S_IFMT {
            case S_IFDIR:
                result.append(ContextEntry(path: rel, kind: .directory))
                try collect(path, relative: rel, into: &result)
            case S_IFREG:
                result.append(ContextEntry(path: rel, kind: .file(executable: st.st_mode & 0o100 != 0), size: Int(st.st_size)))
            case S_IFLNK:
                if case .symlink(let target) = kind(of: path) { result.append(ContextEntry(path: rel, kind: .symlink(target: target))) }
            default:
                continue  // sockets, fifos and devices have no place in a build context
            }
        }
    }
}
