@testable import CapstanCore
import Foundation
import Testing

/// Build contexts: the same tree gives the same bytes, any change gives a new hash, and
/// .dockerignore is honoured.
struct ContextArchiveTests {
    private func makeRepository() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("capstan-ctx-\(UUID().uuidString)")
        let ctx = root.appendingPathComponent("projects/web")
        try FileManager.default.createDirectory(at: ctx.appendingPathComponent("src/.cache"), withIntermediateDirectories: true)
        try "FROM scratch\n".write(to: ctx.appendingPathComponent("Dockerfile"), atomically: false, encoding: .utf8)
        try "print(1)\n".write(to: ctx.appendingPathComponent("src/app.py"), atomically: false, encoding: .utf8)
        try "junk".write(to: ctx.appendingPathComponent("src/.cache/x"), atomically: false, encoding: .utf8)
        try "apiVersion: capstan/v1\nkind: Project\nmetadata: {name: web}\nspec: {context: projects/web, buildArgs: {V: '1'}}\n"
            .write(to: root.appendingPathComponent("p.yaml"), atomically: false, encoding: .utf8)
        return root
    }

    private func archive(_ root: URL) throws -> ContextArchive {
        let tree = DirectoryTree(root: root.path)
        let result = ManifestLoader.load(tree)
        #expect(result.isValid, "\(result.diagnostics.map(\.rendered))")
        return try ContextArchive.make(project: result.manifests.projects[0], from: tree)
    }

    @Test func aContextOverTheLimitIsAnErrorAtSpecContextNamingTheLargestFiles() throws {
        let root = try makeRepository()
        defer { try? FileManager.default.removeItem(at: root) }
        let model = root.appendingPathComponent("projects/web/model.bin").path
        #expect(FileManager.default.createFile(atPath: model, contents: nil))
        let big = try #require(FileHandle(forWritingAtPath: model))
        try big.truncate(atOffset: 600 << 20)  // sparse: sizes are judged, nothing is read
        try big.close()
        let tree = DirectoryTree(root: root.path)
        let loaded = ManifestLoader.load(tree)
        let project = loaded.manifests.projects[0]
        #expect(loaded.manifests.config.maxContextSize == 512 << 20, "the default")
        let entries = try ContextArchive.entries(of: project, in: tree)
        let problem = try #require(ContextArchive.oversized(project, entries: entries, limit: loaded.manifests.config.maxContextSize))
        #expect(problem.rendered.hasPrefix(
            "p.yaml:4:17: build context \"projects/web\" holds 600 MiB after .dockerignore, more than the limit of "
            + "512 MiB; largest: model.bin (600 MiB), Dockerfile (13 bytes), src/app.py (9 bytes)"))
        #expect(problem.hint == "list files the image does not need in projects/web/.dockerignore, or raise maxContextSize in capstan.yaml")
        #expect(ContextArchive.oversized(project, entries: entries, limit: 1 << 30) == nil)

        try "model.bin\n".write(to: root.appendingPathComponent("projects/web/.dockerignore"), atomically: false, encoding: .utf8)
        #expect(ContextArchive.oversized(project, entries: try ContextArchive.entries(of: project, in: tree), limit: 512 << 20) == nil)
    }

    @Test func maxContextSizeIsAQuantityOfAtLeastOneByte() throws {
        let sink = DiagnosticSink(file: "capstan.yaml")
        #expect(RepositoryConfig.decode(Array("maxContextSize: 2Gi\n".utf8), sink: sink).maxContextSize == 2 << 30)
        #expect(sink.diagnostics.isEmpty)
        #expect(RepositoryConfig.decode(Array("maxContextSize: 0\n".utf8), sink: sink).maxContextSize == 512 << 20)
        #expect(sink.diagnostics.map(\.rendered) == ["capstan.yaml:1:17: maxContextSize must be at least 1 byte, not 0"])
    }

    @Test func sameTreeGivesSameBytesAndAFileChangeGivesANewHash() throws {
        let root = try makeRepository()
        defer { try? FileManager.default.removeItem(at: root) }
        let first = try archive(root)
        let second = try archive(root)
        #expect(first.bytes == second.bytes)
        #expect(first.contextHash == second.contextHash)
        try "print(2)\n".write(to: root.appendingPathComponent("projects/web/src/app.py"), atomically: false, encoding: .utf8)
        #expect(try archive(root).contextHash != first.contextHash)
    }

    @Test func aFileOutsideTheContextChangesNothing() throws {
        let root = try makeRepository()
        defer { try? FileManager.default.removeItem(at: root) }
        let first = try archive(root)
        try "other".write(to: root.appendingPathComponent("README.md"), atomically: false, encoding: .utf8)
        #expect(try archive(root).contextHash == first.contextHash)
    }

    @Test func archiveIsAValidTarThatHidesNothingButIgnoredFiles() throws {
        let root = try makeRepository()
        defer { try? FileManager.default.removeItem(at: root) }
        var names = try listTar(archive(root).bytes)
        #expect(names == ["Dockerfile", "src/", "src/.cache/", "src/.cache/x", "src/app.py"])
        try "src/.cache\n*.md\n".write(to: root.appendingPathComponent("projects/web/.dockerignore"), atomically: false, encoding: .utf8)
        names = try listTar(archive(root).bytes)
        #expect(names == [".dockerignore", "Dockerfile", "src/", "src/app.py"])
    }

    @Test(arguments: [
        ("node_modules", "node_modules/a/b.js", true), ("*.pyc", "x.pyc", true), ("*.pyc", "d/x.pyc", false),
        ("**/*.pyc", "d/x.pyc", true), ("/build", "build/out", true), ("docs\n!docs/keep.md", "docs/keep.md", false),
        ("docs\n!docs/keep.md", "docs/drop.md", true),
    ])
    func dockerIgnoreMatchesLikeTheDockerCLI(_ patterns: String, _ path: String, _ excluded: Bool) {
        #expect(DockerIgnore(patterns).excludes(path) == excluded)
    }

    @Test func buildArgumentsAreInTheContextHash() throws {
        let root = try makeRepository()
        defer { try? FileManager.default.removeItem(at: root) }
        let first = try archive(root)
        let p = root.appendingPathComponent("p.yaml")
        try String(contentsOf: p, encoding: .utf8).replacingOccurrences(of: "V: '1'", with: "V: '2'").write(to: p, atomically: false, encoding: .utf8)
        let second = try archive(root)
        #expect(second.bytes == first.bytes)
        #expect(second.contextHash != first.contextHash)
    }

    /// Lists a tar with the system's tar, an independent reader of the format.
    private func listTar(_ bytes: [UInt8]) throws -> [String] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ctx-\(UUID().uuidString).tar")
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/tar")
        p.arguments = ["-tf", file.path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }
}
