import CapstanCore
import Dispatch
import Synchronization
import Testing
@testable import CapstanGit

/// Every byte value, and Latin-1 text that is not valid UTF-8.
private let binary = (0...255).map(UInt8.init) + (0...255).map { UInt8(255 - $0) }
private let latin1: [UInt8] = [0x63, 0x61, 0x66, 0xE9, 0x0A, 0xFF, 0xFE, 0x80]

/// Writes a repository layout with every kind of entry into `sandbox/repo` (without committing).
private func writeLayout(_ sandbox: Sandbox) throws {
    try sandbox.initRepository("repo")
    try sandbox.write("repo/servers.yaml", "kind: Server\n")
    try sandbox.write("repo/projects/weather/Dockerfile", "FROM scratch\n")
    try sandbox.write("repo/projects/weather/run.sh", "#!/bin/sh\n", executable: true)
    try sandbox.write("repo/data/binary.bin", binary)
    try sandbox.write("repo/data/latin1.txt", latin1)
    try sandbox.write("repo/.github/workflows/ci.yml", "on: push\n")
    try sandbox.write("repo/projects/.cache/stale.yaml", "x: 1\n")
    try sandbox.write("repo/.hidden.yaml", "x: 1\n")
    try sandbox.symlink("repo/links/to-file", to: "../servers.yaml")
    try sandbox.symlink("repo/links/to-dir", to: "../projects")
    try sandbox.symlink("repo/links/outside", to: "../../outside.txt")
    try sandbox.symlink("repo/links/absolute", to: "/etc/hostname")
    try sandbox.symlink("repo/links/loop", to: "loop")
    try sandbox.write("outside.txt", "not in the repository\n")
}

private let committedFiles = [
    "data/binary.bin", "data/latin1.txt", "projects/weather/Dockerfile", "projects/weather/run.sh", "servers.yaml",
]

/// The layout committed, then changed in the working directory and the index without committing.
private struct Committed {
    let sandbox: Sandbox
    let tree: GitTree

    init() throws {
        sandbox = try Sandbox()
        try writeLayout(sandbox)
        try sandbox.commitAll("repo")
        try sandbox.write("repo/servers.yaml", "kind: Changed\n")
        try sandbox.write("repo/untracked.yaml", "x: 1\n")
        try sandbox.write("repo/staged.yaml", "x: 1\n")
        try sandbox.git("add", "staged.yaml", in: "repo")
        let repository = try GitRepository.open(path: sandbox.path("repo"))
        tree = try repository.tree(at: repository.resolve(ref: "HEAD"))
    }
}

@Suite struct GitTreeTests {
    @Test func listsExactlyTheCommittedFilesOutsideHiddenDirectories() throws {
        let c = try Committed()
        #expect(try c.tree.files(under: "") == committedFiles)
        #expect(try c.tree.files(under: "projects") == ["projects/weather/Dockerfile", "projects/weather/run.sh"])
    }

    @Test func aHiddenDirectoryIsListedOnlyWhenAskedForDirectly() throws {
        let c = try Committed()
        #expect(try c.tree.files(under: ".github") == [".github/workflows/ci.yml"])
        #expect(c.tree.kind(of: ".github/workflows/ci.yml") == .file)
    }

    @Test func readsCommittedContentByteExactNotTheWorkingDirectory() throws {
        let c = try Committed()
        #expect(try c.tree.read("data/binary.bin") == binary)
        #expect(try c.tree.read("data/latin1.txt") == latin1)
        #expect(try c.tree.read("servers.yaml") == Array("kind: Server\n".utf8))
    }

    @Test func uncommittedFilesAreMissing() throws {
        let c = try Committed()
        #expect(c.tree.kind(of: "untracked.yaml") == .missing)
        #expect(c.tree.kind(of: "staged.yaml") == .missing)
        #expect(throws: SourceError.self) { try c.tree.read("staged.yaml") }
    }

    @Test func anExecutableIsAFile() throws {
        let c = try Committed()
        #expect(c.tree.kind(of: "projects/weather/run.sh") == .file)
        #expect(try c.tree.read("projects/weather/run.sh") == Array("#!/bin/sh\n".utf8))
    }

    @Test func aSymlinkReportsItsTargetAndIsNeverListed() throws {
        let c = try Committed()
        #expect(c.tree.kind(of: "links/to-file") == .symlink(target: "../servers.yaml"))
        #expect(c.tree.kind(of: "links/to-dir") == .symlink(target: "../projects"))
        #expect(c.tree.kind(of: "links/absolute") == .symlink(target: "/etc/hostname"))
        #expect(try c.tree.files(under: "links") == [])
    }

    @Test func linksInsideTheRepositoryAreFollowedLikeAFileSystemDoes() throws {
        let c = try Committed()
        #expect(try c.tree.read("links/to-file") == Array("kind: Server\n".utf8))
        #expect(c.tree.kind(of: "links/to-dir/weather") == .directory)
        #expect(c.tree.kind(of: "links/to-dir/weather/Dockerfile") == .file)
        #expect(c.tree.kind(of: "links/to-dir/") == .directory)
        #expect(try c.tree.files(under: "links/to-dir/weather")
            == ["links/to-dir/weather/Dockerfile", "links/to-dir/weather/run.sh"])
        // lstat semantics: the link itself is not a directory.
        #expect(throws: SourceError.notADirectory(path: "links/to-dir")) { try c.tree.files(under: "links/to-dir") }
    }

    @Test func linksLeavingTheRepositoryOrLoopingLeadNowhere() throws {
        let c = try Committed()
        #expect(throws: SourceError.unreadable(path: "links/outside", reason: "a symbolic link on the path leads outside the repository")) {
            try c.tree.read("links/outside")
        }
        #expect(throws: SourceError.self) { try c.tree.read("links/absolute") }
        #expect(c.tree.kind(of: "links/loop") == .symlink(target: "loop"))
        #expect(throws: SourceError.unreadable(path: "links/loop", reason: "Too many levels of symbolic links")) {
            try c.tree.read("links/loop")
        }
        #expect(c.tree.kind(of: "../outside.txt") == .missing)
    }

    @Test func directoriesAreImpliedByTheTree() throws {
        let c = try Committed()
        for path in ["", "projects", "projects/weather", "projects/weather/", "data", ".github", "./projects//weather"] {
            #expect(c.tree.kind(of: path) == .directory, "\(path)")
        }
    }

    @Test func absentPathsAreMissing() throws {
        let c = try Committed()
        for path in ["nope", "projects/nope", "servers.yaml/x", "servers.yaml/", "data/binary.bin/.."] {
            #expect(c.tree.kind(of: path) == .missing, "\(path)")
        }
        #expect(throws: SourceError.unreadable(path: "nope", reason: "No such file or directory")) { try c.tree.read("nope") }
        #expect(throws: SourceError.unreadable(path: "projects", reason: "Is a directory")) { try c.tree.read("projects") }
        #expect(throws: SourceError.notADirectory(path: "nope")) { try c.tree.files(under: "nope") }
        #expect(throws: SourceError.notADirectory(path: "servers.yaml")) { try c.tree.files(under: "servers.yaml") }
    }

    @Test func aTreeAtAnOlderCommitShowsTheOldContent() throws {
        let sandbox = try Sandbox()
        try sandbox.initRepository("repo")
        try sandbox.write("repo/servers.yaml", "version: 1\n")
        try sandbox.write("repo/removed.yaml", "x: 1\n")
        let old = CommitID(hex: try sandbox.commitAll("repo"))!
        try sandbox.write("repo/servers.yaml", "version: 2\n")
        try sandbox.write("repo/added.yaml", "x: 2\n")
        try sandbox.remove("repo/removed.yaml")
        let new = CommitID(hex: try sandbox.commitAll("repo"))!
        let repository = try GitRepository.open(path: sandbox.path("repo"))

        let oldTree = try repository.tree(at: old)
        #expect(oldTree.commit == old)
        #expect(try oldTree.files(under: "") == ["removed.yaml", "servers.yaml"])
        #expect(try oldTree.read("servers.yaml") == Array("version: 1\n".utf8))
        let newTree = try repository.tree(at: new)
        #expect(try newTree.files(under: "") == ["added.yaml", "servers.yaml"])
        #expect(try newTree.read("servers.yaml") == Array("version: 2\n".utf8))
    }

    @Test func aSubmoduleIsAnEmptyDirectory() throws {
        let sandbox = try Sandbox()
        try sandbox.initRepository("repo")
        try sandbox.write("repo/a.yaml", "x: 1\n")
        let first = try sandbox.commitAll("repo")
        try sandbox.git("update-index", "--add", "--cacheinfo", "160000,\(first),vendor/lib", in: "repo")
        try sandbox.git(["commit", "-q", "-m", "submodule"], in: "repo")
        let repository = try GitRepository.open(path: sandbox.path("repo"))
        let tree = try repository.tree(at: repository.resolve(ref: "HEAD"))
        #expect(tree.kind(of: "vendor/lib") == .directory)
        #expect(tree.kind(of: "vendor/lib/a.yaml") == .missing)
        #expect(try tree.files(under: "vendor/lib") == [])
        #expect(try tree.files(under: "") == ["a.yaml"])
    }

    @Test func readsFromManyThreadsAtOnce() throws {
        let c = try Committed()
        let tree = c.tree
        let paths = Array(repeating: committedFiles, count: 50).flatMap { $0 }
        let expected = try committedFiles.map { try tree.read($0) }
        let results = Mutex<[[UInt8]?]>(Array(repeating: nil, count: paths.count))
        DispatchQueue.concurrentPerform(iterations: paths.count) { i in
            let bytes = try? tree.read(paths[i])
            results.withLock { $0[i] = bytes }
        }
        #expect(results.withLock { $0 } == paths.indices.map { expected[$0 % committedFiles.count] })
    }

    /// On a clean checkout, the commit and the working directory must look the same through
    /// SourceTree, except for what lies outside the repository.
    @Test func agreesWithDirectoryTreeOnACleanCheckout() throws {
        let sandbox = try Sandbox()
        try writeLayout(sandbox)
        try sandbox.commitAll("repo")
        let repository = try GitRepository.open(path: sandbox.path("repo"))
        let git = try repository.tree(at: repository.resolve(ref: "HEAD"))
        let disk = DirectoryTree(root: sandbox.path("repo"))

        let paths = [
            "", "servers.yaml", "projects", "projects/", "projects/weather", "projects/weather/run.sh",
            "data/binary.bin", ".github", ".github/workflows/ci.yml", ".hidden.yaml", "projects/.cache",
            "links", "links/to-file", "links/to-dir", "links/to-dir/", "links/to-dir/weather",
            "links/to-dir/weather/Dockerfile", "links/outside", "links/absolute", "links/loop",
            "nope", "servers.yaml/x", "servers.yaml/", "./servers.yaml", "projects//weather", "projects/weather/../weather",
        ]
        for path in paths {
            #expect(git.kind(of: path) == disk.kind(of: path), "kind(of: \"\(path)\")")
        }
        for directory in ["", "projects", "data", ".github", "links", "links/to-dir/weather", "projects/.cache"] {
            #expect(try git.files(under: directory) == disk.files(under: directory), "files(under: \"\(directory)\")")
        }
        for directory in ["links/to-dir", "servers.yaml", "nope"] {
            #expect(throws: SourceError.notADirectory(path: directory)) { try git.files(under: directory) }
            #expect(throws: SourceError.notADirectory(path: directory)) { try disk.files(under: directory) }
        }
        for path in committedFiles + ["links/to-file", "links/to-dir/weather/run.sh", ".hidden.yaml"] {
            #expect(try git.read(path) == disk.read(path), "read(\"\(path)\")")
        }
        // The root is left out: on disk it holds .git.
        for directory in ["projects", "links", "links/to-dir", ".github", "data"] {
            #expect(try git.contextEntries(under: directory) == disk.contextEntries(under: directory),
                    "contextEntries(under: \"\(directory)\")")
        }
        for directory in ["servers.yaml", "nope"] {
            let fromDisk = #expect(throws: SourceError.self) { try disk.contextEntries(under: directory) }
            let fromGit = #expect(throws: SourceError.self) { try git.contextEntries(under: directory) }
            #expect(fromGit == fromDisk)
        }
    }

    @Test func contextEntriesIncludeHiddenFilesExecutableBitsSizesAndLinks() throws {
        let c = try Committed()
        #expect(try c.tree.contextEntries(under: "projects") == [
            ContextEntry(path: ".cache", kind: .directory),
            ContextEntry(path: ".cache/stale.yaml", kind: .file(executable: false), size: 5),
            ContextEntry(path: "weather", kind: .directory),
            ContextEntry(path: "weather/Dockerfile", kind: .file(executable: false), size: 13),
            ContextEntry(path: "weather/run.sh", kind: .file(executable: true), size: 10),
        ])
        #expect(try c.tree.contextEntries(under: "links").contains(ContextEntry(path: "to-dir", kind: .symlink(target: "../projects"))))
    }
}
