import Foundation
import Testing
@testable import CapstanGit

/// An upstream working repository with one commit on `main`, and a place for its mirror.
private struct Upstream {
    let sandbox: Sandbox
    let first: CommitID
    var path: String { sandbox.path("upstream") }
    var mirror: String { sandbox.path("cache/mirror") }

    init(branch: String = "main") throws {
        sandbox = try Sandbox()
        try sandbox.initRepository("upstream", branch: branch)
        try sandbox.write("upstream/servers.yaml", "version: 1\n")
        first = CommitID(hex: try sandbox.commitAll("upstream", message: "first"))!
    }

    func commit(_ content: String) throws -> CommitID {
        try sandbox.write("upstream/servers.yaml", content)
        return CommitID(hex: try sandbox.commitAll("upstream", message: content))!
    }
}

@Suite struct MirrorTests {
    @Test func clonesFromALocalPathThenSeesNewCommits() throws {
        let upstream = try Upstream()
        let mirror = try GitRepository.cloneOrOpen(url: upstream.path, into: upstream.mirror)
        #expect(try mirror.resolve(ref: "main") == upstream.first)
        #expect(try upstream.sandbox.git(["rev-parse", "--is-bare-repository"], in: upstream.mirror) == "true")

        let second = try upstream.commit("version: 2\n")
        let again = try GitRepository.cloneOrOpen(url: upstream.path, into: upstream.mirror)
        #expect(try again.resolve(ref: "main") == second)
        #expect(try again.tree(at: second).read("servers.yaml") == Array("version: 2\n".utf8))
    }

    @Test func clonesFromAFileURL() throws {
        let upstream = try Upstream()
        let url = "file://" + upstream.path
        #expect(try GitRepository.cloneOrOpen(url: url, into: upstream.mirror).resolve(ref: "main") == upstream.first)
        let second = try upstream.commit("version: 2\n")
        #expect(try GitRepository.cloneOrOpen(url: url, into: upstream.mirror).resolve(ref: "main") == second)
    }

    @Test func followsAForcePush() throws {
        let upstream = try Upstream()
        let second = try upstream.commit("version: 2\n")
        #expect(try GitRepository.cloneOrOpen(url: upstream.path, into: upstream.mirror).resolve(ref: "main") == second)

        try upstream.sandbox.git("reset", "-q", "--hard", upstream.first.hex, in: "upstream")
        let mirror = try GitRepository.cloneOrOpen(url: upstream.path, into: upstream.mirror)
        #expect(try mirror.resolve(ref: "main") == upstream.first)
        #expect(try mirror.tree(at: mirror.resolve(ref: "HEAD")).read("servers.yaml") == Array("version: 1\n".utf8))
    }

    @Test func mirrorsEveryBranchAndTagAndPrunesDeletedOnes() throws {
        let upstream = try Upstream()
        try upstream.sandbox.git("branch", "feature", in: "upstream")
        try upstream.sandbox.git("tag", "-a", "v1", "-m", "one", in: "upstream")
        let mirror = try GitRepository.cloneOrOpen(url: upstream.path, into: upstream.mirror)
        #expect(try mirror.resolve(ref: "feature") == upstream.first)
        #expect(try mirror.resolve(ref: "v1") == upstream.first)

        try upstream.sandbox.git("branch", "-D", "feature", in: "upstream")
        try upstream.sandbox.git("tag", "-d", "v1", in: "upstream")
        let second = try upstream.commit("version: 2\n")
        try upstream.sandbox.git("tag", "v2", in: "upstream")
        let again = try GitRepository.cloneOrOpen(url: upstream.path, into: upstream.mirror)
        #expect(try again.resolve(ref: "v2") == second)
        #expect(throws: GitError.self) { try again.resolve(ref: "feature") }
        #expect(throws: GitError.self) { try again.resolve(ref: "v1") }
    }

    @Test func headFollowsTheUpstreamDefaultBranch() throws {
        let upstream = try Upstream(branch: "trunk")
        let mirror = try GitRepository.cloneOrOpen(url: upstream.path, into: upstream.mirror)
        #expect(try mirror.resolve(ref: "HEAD") == upstream.first)
        #expect(try upstream.sandbox.git(["symbolic-ref", "HEAD"], in: upstream.mirror) == "refs/heads/trunk")
    }

    @Test func usesAnExistingEmptyDirectory() throws {
        let upstream = try Upstream()
        try FileManager.default.createDirectory(atPath: upstream.mirror, withIntermediateDirectories: true)
        #expect(try GitRepository.cloneOrOpen(url: upstream.path, into: upstream.mirror).resolve(ref: "main") == upstream.first)
    }

    @Test func refusesAMirrorOfAnotherSource() throws {
        let upstream = try Upstream()
        _ = try GitRepository.cloneOrOpen(url: upstream.path, into: upstream.mirror)
        try upstream.sandbox.initRepository("other")
        #expect {
            try GitRepository.cloneOrOpen(url: upstream.sandbox.path("other"), into: upstream.mirror)
        } throws: { error in
            error as? GitError == .notAMirror(directory: upstream.mirror, url: upstream.sandbox.path("other"), found: upstream.path)
        }
    }

    @Test func refusesAWorkingRepositoryAsMirror() throws {
        let upstream = try Upstream()
        #expect {
            try GitRepository.cloneOrOpen(url: upstream.path, into: upstream.path)
        } throws: { error in
            error as? GitError == .notAMirror(directory: upstream.path, url: upstream.path, found: nil)
        }
    }

    @Test func refusesADirectoryWithOtherFiles() throws {
        let upstream = try Upstream()
        try upstream.sandbox.write("cache/mirror/notes.txt", "mine\n")
        #expect {
            try GitRepository.cloneOrOpen(url: upstream.path, into: upstream.mirror)
        } throws: { error in
            guard case .openFailed(let path, _) = error as? GitError else { return false }
            return path == upstream.mirror
        }
    }

    @Test func aMissingSourceIsAFetchError() throws {
        let sandbox = try Sandbox()
        let missing = sandbox.path("no-such-repository")
        #expect {
            try GitRepository.cloneOrOpen(url: missing, into: sandbox.path("mirror"))
        } throws: { error in
            guard case .fetchFailed(let url, _) = error as? GitError else { return false }
            return url == missing
        }
    }

    /// Port 9 on loopback: nothing listens there, so the fetch fails at once.
    @Test(arguments: [
        "http://user:secret@127.0.0.1:9/repo.git",
        "http://user:s%65cret@127.0.0.1:9/repo.git",
        "http://secret@127.0.0.1:9/repo.git",
        "file://user:secret@/no/such/repo",
    ])
    func credentialsInTheURLNeverReachAnErrorOrTheMirror(url: String) throws {
        let sandbox = try Sandbox()
        let directory = sandbox.path("mirror")
        #expect {
            try GitRepository.cloneOrOpen(url: url, into: directory)
        } throws: { error in
            guard case .fetchFailed(let shown, let cause) = error as? GitError else { return false }
            return !shown.contains("secret") && !cause.message.contains("secret")
                && !"\(error)".contains("secret") && !String(reflecting: error).contains("secret")
                && !String(reflecting: error).contains("s%65cret")
        }
        let config = try String(contentsOfFile: directory + "/config", encoding: .utf8)
        #expect(!config.contains("secret") && !config.contains("s%65cret"))
        #expect(config.contains("127.0.0.1:9/repo.git") || config.contains("/no/such/repo"))
    }
}
