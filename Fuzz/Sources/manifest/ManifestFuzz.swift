import CapstanCore

/// What `capstan validate` reads, from one fuzzed file: the input is `manifests.yaml` of a small
/// repository (YAML with positions → decode → validate → context and reference checks), then
/// `capstan.yaml` of another. A valid set goes on through routes, desired state and the plan,
/// the pure steps `capstan plan` takes next.
///
/// Beyond "does not crash", every diagnostic must point into the file it names: a line of it
/// as libyaml counts lines (or the one after its last), never line or column 0.
@_cdecl("LLVMFuzzerTestOneInput")
public func manifestFuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    check(FuzzTree(files: FuzzTree.repository(manifests: bytes)))
    check(FuzzTree(files: FuzzTree.repository(config: bytes)))
    return 0
}

private func check(_ tree: FuzzTree) {
    let result = ManifestLoader.load(tree)
    for d in result.diagnostics {
        if d.file == ".", d.mark == Mark(line: 1, column: 1) { continue }  // the repository itself
        guard let file = tree.files[d.file] else { fatalError("diagnostic names a file not in the tree: \(d)") }
        let lines = lineCount(file)
        guard d.mark.line >= 1, d.mark.column >= 1, d.mark.line <= lines + 1, !d.message.isEmpty else {
            fatalError("diagnostic out of its file (\(lines) lines): \(d)")
        }
    }
    guard result.isValid else { return }
    let set = result.manifests
    var images: [String: String] = [:]
    for server in set.servers {
        if case .image(let reference) = server.source { images[reference.value] = "sha256:" + String(repeating: "1", count: 64) }
    }
    let hashes = Dictionary(set.projects.map { ($0.metadata.name.value, "sha256:" + String(repeating: "2", count: 64)) },
                            uniquingKeysWith: { a, _ in a })
    switch DesiredStateBuilder.build(manifests: set, instance: set.config.instance, revision: String(repeating: "a", count: 40),
                                     contextHashes: hashes, imageIDs: images, secretVersion: { _ in "1" }) {
    case .success(let desired):
        let plan = Planner.plan(desired: desired, observed: ObservedState(containers: [], imagesByTag: [:]))
        _ = PlanRenderer.text(plan)
    case .failure(let problems):
        fatalError("a valid manifest set failed to plan: \(problems)")
    }
}

/// Lines as libyaml counts them (YAML 1.1): LF, CR, CRLF as one, NEL, LS and PS end a line.
func lineCount(_ bytes: [UInt8]) -> Int {
    var lines = 1
    var i = 0
    while i < bytes.count {
        switch bytes[i] {
        case 0x0A: lines += 1
        case 0x0D:
            lines += 1
            if i + 1 < bytes.count, bytes[i + 1] == 0x0A { i += 1 }
        case 0xC2 where i + 1 < bytes.count && bytes[i + 1] == 0x85:
            lines += 1
            i += 1
        case 0xE2 where i + 2 < bytes.count && bytes[i + 1] == 0x80 && (bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9):
            lines += 1
            i += 2
        default: break
        }
        i += 1
    }
    return lines
}

/// An in-memory repository (the same shape as the unit tests' MemoryTree).
struct FuzzTree: SourceTree {
    var files: [String: [UInt8]]

    /// The fuzzed manifests next to the build contexts the corpus's Projects name.
    static func repository(manifests: [UInt8]) -> [String: [UInt8]] {
        ["manifests.yaml": manifests, "projects/textkit/Dockerfile": Array("FROM scratch\n".utf8),
         "projects/notes/Dockerfile": Array("FROM scratch\n".utf8),
         "projects/weather/docker/Dockerfile.prod": Array("FROM scratch\n".utf8)]
    }

    /// The fuzzed `capstan.yaml` (root, instance, exclude) over a valid manifest in `deploy/`.
    static func repository(config: [UInt8]) -> [String: [UInt8]] {
        ["capstan.yaml": config,
         "deploy/client.yaml": Array("apiVersion: capstan/v1\nkind: Client\nmetadata: {name: a}\nspec: {app: generic, tokenHash: \"sha256:\(String(repeating: "0", count: 64))\"}\n".utf8)]
    }

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
