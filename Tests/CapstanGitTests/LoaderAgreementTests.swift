import CapstanCore
import Foundation
import Testing
@testable import CapstanGit

/// The manifest loader must see the same repository whether it reads a directory or a commit:
/// every example and every loader fixture of this repository is committed, unchanged, and loaded
/// both ways.
@Suite struct LoaderAgreementTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static func cases(in relative: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: repositoryRoot + "/" + relative)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { relative + "/" + $0 }
    }

    /// Commits `directories` (relative to this repository) as they are, one commit per directory
    /// with that directory as its root. Uses a git directory in the sandbox and the directories
    /// as its work tree, so nothing is copied and nothing is written into this repository.
    static func commitEach(_ directories: [String], in sandbox: Sandbox) throws -> (GitRepository, [String: CommitID]) {
        let gitDirectory = sandbox.path("snapshot.git")
        let git = ["--git-dir=\(gitDirectory)", "--work-tree=\(repositoryRoot)"]
        try sandbox.git(["init", "-q", "--bare", gitDirectory])
        try sandbox.git(git + ["add", "-A", "--"] + directories)
        try sandbox.git(git + ["commit", "-q", "-m", "snapshot"])
        var commits: [String: CommitID] = [:]
        for directory in directories {
            let tree = try sandbox.git(git + ["rev-parse", "HEAD:\(directory)"])
            commits[directory] = CommitID(hex: try sandbox.git(git + ["commit-tree", tree, "-m", directory]))
        }
        return (try GitRepository.open(path: gitDirectory), commits)
    }

    @Test func quickstartLoadsTheSameFromACommitAsFromItsDirectory() throws {
        let sandbox = try Sandbox()
        let (repository, commits) = try Self.commitEach(["examples/quickstart"], in: sandbox)
        let fromGit = ManifestLoader.load(try repository.tree(at: commits["examples/quickstart"]!))
        let fromDisk = ManifestLoader.load(DirectoryTree(root: Self.repositoryRoot + "/examples/quickstart"))

        #expect(fromGit.isValid, "\(fromGit.diagnostics)")
        #expect(fromDisk.isValid)
        #expect(fromGit.manifests.count > 0)
        #expect(fromGit.fileCount == fromDisk.fileCount)
        #expect(fromGit.manifests.projects.count == fromDisk.manifests.projects.count)
        #expect(fromGit.manifests.servers.count == fromDisk.manifests.servers.count)
        #expect(fromGit.manifests.clients.count == fromDisk.manifests.clients.count)
        #expect(fromGit.manifests.policies.count == fromDisk.manifests.policies.count)
        #expect(fromGit.diagnostics == fromDisk.diagnostics)
    }

    @Test func everyExampleAndFixtureGivesTheSameResultFromACommit() throws {
        let directories = Self.cases(in: "examples") + Self.cases(in: "Tests/Fixtures/valid")
            + Self.cases(in: "Tests/Fixtures/invalid")
        try #require(directories.count > 100)
        let sandbox = try Sandbox()
        let (repository, commits) = try Self.commitEach(directories, in: sandbox)
        for directory in directories {
            let fromGit = ManifestLoader.load(try repository.tree(at: commits[directory]!))
            let fromDisk = ManifestLoader.load(DirectoryTree(root: Self.repositoryRoot + "/" + directory))
            #expect(fromGit.isValid == fromDisk.isValid, "\(directory)")
            #expect(fromGit.fileCount == fromDisk.fileCount, "\(directory)")
            #expect(fromGit.manifests.count == fromDisk.manifests.count, "\(directory)")
            #expect(fromGit.diagnostics == fromDisk.diagnostics, "\(directory)")
        }
    }

    /// The same commit must build the same image whether it is read from git or from a checkout.
    @Test func buildContextsFromACommitAreByteIdenticalToThoseFromTheDirectory() throws {
        let directories = Self.cases(in: "examples") + Self.cases(in: "Tests/Fixtures/valid")
        let sandbox = try Sandbox()
        let (repository, commits) = try Self.commitEach(directories, in: sandbox)
        var archived = 0
        for directory in directories {
            let gitTree = try repository.tree(at: commits[directory]!)
            let diskTree = DirectoryTree(root: Self.repositoryRoot + "/" + directory)
            let loaded = ManifestLoader.load(gitTree)
            guard loaded.isValid else { continue }
            for project in loaded.manifests.projects {
                let fromGit = try ContextArchive.make(project: project, from: gitTree)
                let fromDisk = try ContextArchive.make(project: project, from: diskTree)
                #expect(fromGit.bytes == fromDisk.bytes, "\(directory): \(project.metadata.name.value)")
                #expect(fromGit.contextHash == fromDisk.contextHash)
                archived += 1
            }
        }
        #expect(archived > 0)
    }
}
