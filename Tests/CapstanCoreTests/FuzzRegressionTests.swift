@testable import CapstanCore
import Foundation
import Testing

/// Replays the `manifest` fuzz target's seeds and every input it ever crashed on
/// (Fuzz/Corpus/manifest, Fuzz/Regressions/manifest) through the same steps as
/// Fuzz/Sources/manifest, without sanitizers, so a fixed crash stays fixed in `make test`.
struct FuzzRegressionTests {
    static func inputs(_ target: String) -> [(name: String, bytes: [UInt8])] {
        ["Fuzz/Corpus/", "Fuzz/Regressions/"].flatMap { folder -> [(name: String, bytes: [UInt8])] in
            let directory = Fixtures.repositoryRoot.appendingPathComponent(folder + target)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            return names.filter { !$0.hasPrefix(".") }.sorted().compactMap { name in
                (try? Data(contentsOf: directory.appendingPathComponent(name))).map { (folder + target + "/" + name, Array($0)) }
            }
        }
    }

    /// The fuzz target's two repositories: the input as the manifests, then as capstan.yaml.
    static func trees(_ bytes: [UInt8]) -> [MemoryTree] {
        let dockerfile = Array("FROM scratch\n".utf8)
        let client = "apiVersion: capstan/v1\nkind: Client\nmetadata: {name: a}\nspec: {app: generic, tokenHash: \"sha256:\(String(repeating: "0", count: 64))\"}\n"
        return [MemoryTree(files: ["manifests.yaml": bytes, "projects/textkit/Dockerfile": dockerfile, "projects/notes/Dockerfile": dockerfile,
                                   "projects/weather/docker/Dockerfile.prod": dockerfile]),
                MemoryTree(files: ["capstan.yaml": bytes, "deploy/client.yaml": Array(client.utf8)])]
    }

    @Test func manifestFuzzInputsLoadWithDiagnosticsInsideTheirFiles() {
        let inputs = Self.inputs("manifest")
        #expect(inputs.count > 100, "the seed corpus is missing")
        var valid = 0
        for (name, bytes) in inputs {
            for tree in Self.trees(bytes) {
                let result = ManifestLoader.load(tree)
                for d in result.diagnostics where !(d.file == "." && d.mark == Mark(line: 1, column: 1)) {
                    let lines = tree.files[d.file].map(lineCount) ?? -1
                    #expect(d.mark.line >= 1 && d.mark.column >= 1 && d.mark.line <= lines + 1, "\(name): \(d)")
                }
                guard result.isValid else { continue }
                valid += 1
                let set = result.manifests
                var images: [String: String] = [:]
                for case .image(let reference) in set.servers.map(\.source) { images[reference.value] = "sha256:1" }
                let hashes = Dictionary(set.projects.map { ($0.metadata.name.value, "sha256:2") }, uniquingKeysWith: { a, _ in a })
                let desired = DesiredStateBuilder.build(manifests: set, instance: set.config.instance, revision: "a",
                                                        contextHashes: hashes, imageIDs: images, secretVersion: { _ in "1" })
                guard case .success(let state) = desired else {
                    Issue.record("\(name): a valid set did not plan: \(desired)")
                    continue
                }
                _ = PlanRenderer.text(Planner.plan(desired: state, observed: ObservedState(containers: [], imagesByTag: [:])))
            }
        }
        // The quickstart and the valid fixtures are among the seeds, so some must get as far as a plan.
        #expect(valid >= 3)
    }

    /// Found by the manifest target: libyaml ends lines at CR too (and NEL, LS, PS), but the
    /// loader's own positions counted only LF, so in a file with CR line ends a UTF-8 error was
    /// put on line 1 and a tab was not recognised at libyaml's mark.
    @Test func positionsCountLinesAsLibyamlDoes() {
        let utf8Error = Array("a: 1\rb: 2\rc: ".utf8) + [0xFF] + Array("\r".utf8)
        guard case .failure(let f) = YAMLLoader.load(utf8Error) else { Issue.record("loaded"); return }
        #expect(f.mark == Mark(line: 3, column: 4))
        for lineEnd in ["\r", "\r\n", "\u{85}", "\u{2028}"] {
            guard case .failure(let tab) = YAMLLoader.load(Array("a:\(lineEnd)\tb: 1\(lineEnd)".utf8)) else { Issue.record("loaded"); continue }
            #expect(tab.message == "tab character where YAML allows only spaces", "\(Array(lineEnd.unicodeScalars))")
            #expect(tab.mark.line == 2)
        }
    }
}
