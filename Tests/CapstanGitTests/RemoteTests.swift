import Foundation
import Testing
@testable import CapstanGit

/// A bare repository `served/repo.git` with one commit on `main`, pushed from a working
/// repository `work` that later commits push to as well; and a place for the mirror.
private struct Served {
    let sandbox: Sandbox
    let first: CommitID
    var mirror: String { sandbox.path("cache/mirror") }

    init() throws {
        sandbox = try Sandbox()
        try FileManager.default.createDirectory(atPath: sandbox.path("served"), withIntermediateDirectories: true)
        try sandbox.git("init", "-q", "--bare", "-b", "main", "served/repo.git")
        try sandbox.initRepository("work")
        try sandbox.write("work/servers.yaml", "version: 1\n")
        first = CommitID(hex: try sandbox.commitAll("work", message: "first"))!
        try sandbox.git("push", "-q", sandbox.path("served/repo.git"), "main", in: "work")
    }

    func push(_ content: String) throws -> CommitID {
        try sandbox.write("work/servers.yaml", content)
        let commit = CommitID(hex: try sandbox.commitAll("work", message: content))!
        try sandbox.git("push", "-q", sandbox.path("served/repo.git"), "main", in: "work")
        return commit
    }

    /// Every ref of the mirror with its target, as git itself lists them.
    func mirrorRefs() throws -> String {
        try sandbox.git(["for-each-ref", "--format=%(refname) %(objectname)"], in: mirror)
    }
}

@Suite(.timeLimit(.minutes(1))) struct RemoteTests {
    @Test func followsAGitDaemonRemote() throws {
        let served = try Served()
        let daemon = try GitDaemon(sandbox: served.sandbox)
        let url = daemon.url("repo.git")
        #expect(try GitRepository.cloneOrOpen(url: url, into: served.mirror).resolve(ref: "main") == served.first)

        let second = try served.push("version: 2\n")
        let mirror = try GitRepository.cloneOrOpen(url: url, into: served.mirror)
        #expect(try mirror.resolve(ref: "main") == second)
        #expect(try mirror.tree(at: second).read("servers.yaml") == Array("version: 2\n".utf8))
    }

    @Test func anUnreachableRemoteFailsAtOnceAndLeavesTheMirrorAsItWas() throws {
        let served = try Served()
        let daemon = try GitDaemon(sandbox: served.sandbox)
        let url = daemon.url("repo.git")
        _ = try GitRepository.cloneOrOpen(url: url, into: served.mirror)
        let before = try served.mirrorRefs()
        daemon.stop()
        _ = try served.push("version: 2\n")

        let started = Date()
        #expect {
            try GitRepository.cloneOrOpen(url: url, into: served.mirror)
        } throws: { error in
            guard case .fetchFailed(let shown, _) = error as? GitError else { return false }
            return shown == url
        }
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(try served.mirrorRefs() == before)
        #expect(try GitRepository.open(path: served.mirror).resolve(ref: "main") == served.first)
    }

    @Test func fetchesOverHTTPWithAToken() throws {
        let served = try Served()
        let server = try SmartHTTPServer(sandbox: served.sandbox, user: "x-access-token", token: "right-token")
        let url = server.url("repo.git")
        let credentials = GitCredentials.token("right-token")
        #expect(try GitRepository.cloneOrOpen(url: url, into: served.mirror, credentials: credentials).resolve(ref: "main") == served.first)

        let second = try served.push("version: 2\n")
        #expect(try GitRepository.cloneOrOpen(url: url, into: served.mirror, credentials: credentials).resolve(ref: "main") == second)
        // The token went out on request, not unasked, and was never refused.
        #expect(!server.requests().contains { $0.hasSuffix(" bad") })
        #expect(server.requests().contains { $0.hasPrefix("POST /repo.git/git-upload-pack") && $0.hasSuffix(" ok") })
    }

    @Test(arguments: [
        (GitCredentials.token("wrong-token"), "wrong-token", "refused the configured credentials"),
        (GitCredentials.token("right-token", username: "someone-else"), "right-token", "refused the configured credentials"),
        (GitCredentials.none, "right-token", "no credentials are configured"),
    ])
    func aRefusedOrMissingTokenIsAnAuthenticationFailure(credentials: GitCredentials, secret: String, reason: String) throws {
        let served = try Served()
        let server = try SmartHTTPServer(sandbox: served.sandbox, user: "x-access-token", token: "right-token")
        let url = server.url("repo.git")
        let started = Date()
        #expect {
            try GitRepository.cloneOrOpen(url: url, into: served.mirror, credentials: credentials)
        } throws: { error in
            guard case .authenticationFailed(let shown, let cause) = error as? GitError else { return false }
            let texts = ["\(error)", String(reflecting: error)]
            return shown == url && cause.message.contains(reason)
                && texts.allSatisfy { !$0.contains(secret) && !$0.contains("@127.0.0.1") }
        }
        #expect(Date().timeIntervalSince(started) < 5)
        // One request without credentials, at most one with the refused ones: libgit2 asks again
        // after each refusal, and the provider stops at the second request.
        #expect(server.requests().filter { $0.hasSuffix(" bad") }.count <= 1)
        #expect(server.requests().count <= 2)
    }

    @Test func aRefusedTokenInTheURLIsAnAuthenticationFailureWithoutTheToken() throws {
        let served = try Served()
        let server = try SmartHTTPServer(sandbox: served.sandbox, user: "x-access-token", token: "right-token")
        let url = "http://x-access-token:wrong-token@127.0.0.1:\(server.port)/repo.git"
        #expect {
            try GitRepository.cloneOrOpen(url: url, into: served.mirror)
        } throws: { error in
            guard case .authenticationFailed(let shown, _) = error as? GitError else { return false }
            let texts = ["\(error)", String(reflecting: error)]
            return shown == server.url("repo.git") && texts.allSatisfy { !$0.contains("wrong-token") && !$0.contains("@127.0.0.1") }
        }
    }

    @Test func aTokenInTheURLIsTriedFirst() throws {
        let served = try Served()
        let server = try SmartHTTPServer(sandbox: served.sandbox, user: "x-access-token", token: "right-token")
        let url = "http://x-access-token:right-token@127.0.0.1:\(server.port)/repo.git"
        #expect(try GitRepository.cloneOrOpen(url: url, into: served.mirror).resolve(ref: "main") == served.first)
        let config = try String(contentsOfFile: served.mirror + "/config", encoding: .utf8)
        #expect(!config.contains("right-token"))
    }

    @Test func aRefusedFetchLeavesTheMirrorAsItWas() throws {
        let served = try Served()
        let server = try SmartHTTPServer(sandbox: served.sandbox, user: "x-access-token", token: "right-token")
        let url = server.url("repo.git")
        _ = try GitRepository.cloneOrOpen(url: url, into: served.mirror, credentials: .token("right-token"))
        let before = try served.mirrorRefs()
        _ = try served.push("version: 2\n")
        #expect(throws: GitError.self) {
            try GitRepository.cloneOrOpen(url: url, into: served.mirror, credentials: .token("revoked"))
        }
        #expect(try served.mirrorRefs() == before)
    }

    /// A server that accepts and then says nothing, over each transport that reads through
    /// CapstanGit's socket stream (https: the TLS handshake waits on it; libgit2's TLS layer
    /// replaces the message with its own "SSL error").
    @Test(arguments: ["git", "http", "https"])
    func aSilentRemoteTimesOut(scheme: String) throws {
        let sandbox = try Sandbox()
        let listener = try SilentListener()
        let url = "\(scheme)://127.0.0.1:\(listener.port)/repo.git"
        let started = Date()
        #expect {
            try GitRepository.cloneOrOpen(url: url, into: sandbox.path("mirror"), idleTimeout: .milliseconds(300))
        } throws: { error in
            guard case .fetchFailed(let shown, let cause) = error as? GitError else { return false }
            return shown == url && (scheme == "https" || cause.message.contains("timed out"))
        }
        #expect(Date().timeIntervalSince(started) < 5)
    }

    /// With the listener's backlog full the kernel drops the connection attempt, as a firewall
    /// that drops packets would.
    @Test func aConnectionNobodyAnswersTimesOut() throws {
        let sandbox = try Sandbox()
        let listener = try SilentListener(filled: true)
        let url = "git://127.0.0.1:\(listener.port)/repo.git"
        let started = Date()
        #expect {
            try GitRepository.cloneOrOpen(url: url, into: sandbox.path("mirror"), idleTimeout: .milliseconds(500))
        } throws: { error in
            guard case .fetchFailed(_, let cause) = error as? GitError else { return false }
            return cause.message.contains("no answer")
        }
        #expect(Date().timeIntervalSince(started) < 5)
    }

    /// Port 9 on loopback is closed: the SSH transport, when built in, fails to connect before any
    /// key is used; without it the URL is refused up front.
    @Test func anSSHURLGoesToTheSSHTransportWhenThereIsOne() throws {
        let sandbox = try Sandbox()
        try sandbox.write("id_test", "not really a key\n")
        let credentials = try GitCredentials.sshKey(privateKeyPath: sandbox.path("id_test"))
        #expect {
            try GitRepository.cloneOrOpen(url: "ssh://git@127.0.0.1:9/repo.git", into: sandbox.path("mirror"), credentials: credentials)
        } throws: { error in
            switch error as? GitError {
            case .fetchFailed(let url, _): Transport.sshSupported && url == "ssh://127.0.0.1:9/repo.git"
            case .sshUnsupported(let url): !Transport.sshSupported && url == "ssh://127.0.0.1:9/repo.git"
            default: false
            }
        }
    }
}
