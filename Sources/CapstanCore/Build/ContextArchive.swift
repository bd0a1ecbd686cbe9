/// The build context of a Project as a deterministic tar: sorted entries, fixed owner, modes
/// and times, so the same tree always gives the same bytes and the same context hash, and a
/// changed file always gives a different one. `.dockerignore` is honoured as Docker would.
public struct ContextArchive: Sendable {
    public var bytes: [UInt8]
    /// SHA-256 over the archive, the Dockerfile path, the build arguments and the target.
    public var contextHash: String

    public static func make(project: Project, from tree: some BuildContextSource) throws(SourceError) -> ContextArchive {
        try make(project: project, entries: entries(of: project, in: tree), from: tree)
    }

    /// What the context sends: every entry below it that `.dockerignore` keeps.
    public static func entries(of project: Project, in tree: some BuildContextSource) throws(SourceError) -> [ContextEntry] {
        let context = project.context.value
        let entries = try tree.contextEntries(under: context)
        let ignorePath = context + "/.dockerignore"
        guard tree.kind(of: ignorePath) == .file else { return entries }
        let ignore = DockerIgnore(String(decoding: try tree.read(ignorePath), as: UTF8.self))
        // The Dockerfile and .dockerignore are always sent, as the Docker CLI does.
        let keep: Set<String> = [project.dockerfile.value, ".dockerignore"]
        return entries.filter { keep.contains($0.path) || !ignore.excludes($0.path) }
    }

    /// An error at the Project's `spec.context` when its files add up to more than `limit`
    /// bytes, naming the largest; judged from sizes alone, before anything is read.
    public static func oversized(_ project: Project, entries: [ContextEntry], limit: Int) -> Diagnostic? {
        let total = entries.reduce(0) { $0 + $1.size }
        guard total > limit else { return nil }
        let largest = entries.filter { $0.size > 0 }.sorted { ($0.size, $1.path) > ($1.size, $0.path) }.prefix(3)
        let context = project.context.value
        return Diagnostic(
            file: project.metadata.location.file, mark: project.context.mark,
            message: "build context \"\(context)\" holds \(byteText(total)) after .dockerignore, more than the limit of "
                + "\(byteText(limit)); largest: " + largest.map { "\($0.path) (\(byteText($0.size)))" }.joined(separator: ", "),
            hint: "list files the image does not need in \(context)/.dockerignore, or raise maxContextSize in capstan.yaml")
    }

    /// 1.5 GiB, 600 MiB, 12 KiB, 80 bytes: enough to compare with a limit at a glance.
    static func byteText(_ bytes: Int) -> String {
        for (unit, size) in [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] where bytes >= size {
            let value = Double(bytes) / Double(size)
            return (value < 10 && bytes % size != 0 ? String(format: "%.1f", value) : String(Int(value.rounded(.down)))) + " " + unit
        }
        return "\(bytes) bytes"
    }

    public static func make(project: Project, entries: [ContextEntry], from tree: some BuildContextSource) throws(SourceError) -> ContextArchive {
        let context = project.context.value
        var tar = TarWriter()
        for entry in entries.sorted(by: { $0.path < $1.path }) {
            switch entry.kind {
            case .directory:
                tar.append(path: entry.path + "/", type: .directory, mode: 0o755)
            case .symlink(let target):
                tar.append(path: entry.path, type: .symlink(target), mode: 0o777)
            case .file(let executable):
                let data = try tree.read(context + "/" + entry.path)
                tar.append(path: entry.path, type: .file(data), mode: executable ? 0o755 : 0o644)
            }
        }
        let bytes = tar.finish()
        var hashed = bytes
        hashed += Array("\u{0}dockerfile=\(project.dockerfile.value)\u{0}target=\(project.target ?? "")".utf8)
        for arg in project.buildArgs.sorted(by: { $0.key.value < $1.key.value }) {
            hashed += Array("\u{0}arg:\(arg.key.value)=\(arg.value.value)".utf8)
        }
        return ContextArchive(bytes: bytes, contextHash: "sha256:" + sha256Hex(hashed))
    }
}

/// A minimal POSIX ustar writer with PAX headers for long names: enough for build contexts.
struct TarWriter {
    enum EntryType {
        case file([UInt8])
        case directory
        case symlink(String)
    }

    private(set) var bytes: [UInt8] = []

    mutating func append(path: String, type: EntryType, mode: Int) {
        var linkName = ""
        var size = 0
        let flag: UInt8
        switch type {
        case .file(let data): flag = UInt8(ascii: "0"); size = data.count
        case .directory: flag = UInt8(ascii: "5")
        case .symlink(let target): flag = UInt8(ascii: "2"); linkName = target
        }
        var name = path
        var prefix = ""
        if path.utf8.count > 100 || linkName.utf8.count > 100 {
            if linkName.utf8.count <= 100, let split = Self.ustarSplit(path) {
                (prefix, name) = split
            } else {
                var records = paxRecord("path", path)
                if linkName.utf8.count > 100 { records += paxRecord("linkpath", linkName) }
                appendHeader(name: "PaxHeaders/" + String(path.suffix(80)), prefix: "", mode: 0o644, size: records.count,
                             flag: UInt8(ascii: "x"), linkName: "")
                appendData(records)
                name = String(path.suffix(100))
                linkName = String(linkName.suffix(100))
            }
        }
        appendHeader(name: name, prefix: prefix, mode: mode, size: size, flag: flag, linkName: linkName)
        if case .file(let data) = type { appendData(data) }
    }

    mutating func finish() -> [UInt8] {
        bytes += [UInt8](repeating: 0, count: 1024)
        return bytes
    }

    private mutating func appendData(_ data: [UInt8]) {
        bytes += data
        let pad = (512 - data.count % 512) % 512
        bytes += [UInt8](repeating: 0, count: pad)
    }

    private mutating func appendHeader(name: String, prefix: String, mode: Int, size: Int, flag: UInt8, linkName: String) {
        var h = [UInt8](repeating: 0, count: 512)
        func put(_ s: String, at offset: Int, width: Int) {
            for (i, b) in s.utf8.prefix(width).enumerated() { h[offset + i] = b }
        }
        func octal(_ n: Int, at offset: Int, width: Int) {
            let digits = String(n, radix: 8)
            put(String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits, at: offset, width: width - 1)
        }
        put(name, at: 0, width: 100)
        octal(mode, at: 100, width: 8)
        octal(0, at: 108, width: 8)      // uid
        octal(0, at: 116, width: 8)      // gid
        octal(size, at: 124, width: 12)
        octal(0, at: 136, width: 12)     // mtime: fixed, so contexts hash the same everywhere
        h[156] = flag
        put(linkName, at: 157, width: 100)
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        put(prefix, at: 345, width: 155)
        for i in 148..<156 { h[i] = UInt8(ascii: " ") }
        let checksum = h.reduce(0) { $0 + Int($1) }
        octal(checksum, at: 148, width: 7)
        h[155] = UInt8(ascii: " ")
        bytes += h
    }

    /// Splits a path at a "/" so that it fits ustar's 155-byte prefix and 100-byte name.
    private static func ustarSplit(_ path: String) -> (String, String)? {
        let u = Array(path.utf8)
        guard u.count <= 256 else { return nil }
        for i in stride(from: min(155, u.count - 1), through: 1, by: -1) where u[i] == UInt8(ascii: "/") {
            if u.count - i - 1 <= 100, u.count - i - 1 > 0 {
                return (String(decoding: u[..<i], as: UTF8.self), String(decoding: u[(i + 1)...], as: UTF8.self))
            }
        }
        return nil
    }

    private func paxRecord(_ key: String, _ value: String) -> [UInt8] {
        // "<length> <key>=<value>\n", where length counts its own digits.
        let body = " \(key)=\(value)\n"
        var length = body.utf8.count + 1
        while String(length).count + body.utf8.count != length { length += 1 }
        return Array((String(length) + body).utf8)
    }
}
