@testable import CapstanCore

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
    check(MemoryTree(files: FuzzTree.repository(manifests: bytes)))
    check(MemoryTree(files: FuzzTree.repository(config: bytes)))
    return 0
}

private func check(_ tree: MemoryTree) {
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

/// The two repositories an input becomes, as CapstanCore's MemoryTree.
enum FuzzTree {
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
}
