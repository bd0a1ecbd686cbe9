/// An in-memory repository, for unit tests of pure loading logic and for the fuzz targets (the
/// real ones are DirectoryTree and GitTree). Like them, hidden paths are never listed and
/// listing a path that is not a directory is an error.
struct MemoryTree: SourceTree {
    var files: [String: [UInt8]]

    func files(under directory: String) throws(SourceError) -> [String] {
        guard directory.isEmpty || kind(of: directory) == .directory else { throw .notADirectory(path: directory) }
        let prefix = directory.isEmpty ? "" : directory + "/"
        return files.keys.filter { path in
            path.hasPrefix(prefix) && !path.split(separator: "/").contains { $0.hasPrefix(".") }
        }.sorted()
    }

    func kind(of path: String) -> EntryKind {
        if path.isEmpty || files.keys.contains(where: { $0.hasPrefix(path + "/") }) { return .directory }
        return files[path] == nil ? .missing : .file
    }

    func read(_ path: String) throws(SourceError) -> [UInt8] {
        guard let bytes = files[path] else { throw .unreadable(path: path, reason: "no such file") }
        return bytes
    }
}
