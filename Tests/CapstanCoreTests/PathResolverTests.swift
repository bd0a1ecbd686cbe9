@testable import CapstanCore
import Foundation
import Testing

/// Context paths are followed through symbolic links on a real directory, never out of it.
struct PathResolverTests {
    private func makeTree() throws -> (DirectoryTree, URL) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("capstan-paths-\(UUID().uuidString)")
        let fm = FileManager.default
        try fm.createDirectory(at: root.appendingPathComponent("projects/real"), withIntermediateDirectories: true)
        try fm.createSymbolicLink(atPath: root.appendingPathComponent("projects/inside").path, withDestinationPath: "real")
        try fm.createSymbolicLink(atPath: root.appendingPathComponent("projects/outside").path, withDestinationPath: "../../..")
        try fm.createSymbolicLink(atPath: root.appendingPathComponent("abs").path, withDestinationPath: "/etc")
        try fm.createSymbolicLink(atPath: root.appendingPathComponent("loop").path, withDestinationPath: "loop")
        return (DirectoryTree(root: root.path), root)
    }

    @Test func linksInsideTheRepositoryAreFollowed() throws {
        let (tree, root) = try makeTree()
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(try PathResolver.resolve("projects/inside", in: tree).get() == "projects/real")
    }

    @Test func linksLeavingTheRepositoryAreRefused() throws {
        let (tree, root) = try makeTree()
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(throws: PathResolver.Problem.escapes(link: "projects/outside", target: "../../..")) {
            try PathResolver.resolve("projects/outside/x", in: tree).get()
        }
        #expect(throws: PathResolver.Problem.escapes(link: "abs", target: "/etc")) {
            try PathResolver.resolve("abs", in: tree).get()
        }
    }

    @Test func linkLoopsEnd() throws {
        let (tree, root) = try makeTree()
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(throws: PathResolver.Problem.loop(link: "loop")) { try PathResolver.resolve("loop", in: tree).get() }
    }

    @Test func hiddenDirectoriesAndLinksAreNotScanned() throws {
        let (tree, root) = try makeTree()
        defer { try? FileManager.default.removeItem(at: root) }
        let fm = FileManager.default
        try fm.createDirectory(at: root.appendingPathComponent(".github"), withIntermediateDirectories: true)
        _ = fm.createFile(atPath: root.appendingPathComponent(".github/ci.yaml").path, contents: Data())
        _ = fm.createFile(atPath: root.appendingPathComponent("projects/real/a.yaml").path, contents: Data())
        #expect(try tree.files(under: "") == ["projects/real/a.yaml"])
    }
}
