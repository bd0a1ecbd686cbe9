import Foundation
import Testing
@testable import CapstanGit

@Suite struct CredentialsTests {
    @Test func aTokenFileLosesItsTrailingNewline() throws {
        let sandbox = try Sandbox()
        try sandbox.write("token", "ghp_secret\n")
        #expect(try GitCredentials.readSecret(fromFile: sandbox.path("token")) == "ghp_secret")
        try sandbox.write("token-crlf", "  ghp_secret\r\n\n")
        #expect(try GitCredentials.readSecret(fromFile: sandbox.path("token-crlf")) == "ghp_secret")
        guard case .token(let username, let token) = try GitCredentials.token(fromFile: sandbox.path("token")).kind else {
            Issue.record("not a token")
            return
        }
        #expect(username == "x-access-token" && token == "ghp_secret")
    }

    @Test func aMissingTokenFileIsNamedInTheError() throws {
        let sandbox = try Sandbox()
        let path = sandbox.path("no-such-token")
        #expect(throws: GitError.credentialFileUnreadable(path: path, reason: "No such file or directory")) {
            try GitCredentials.token(fromFile: path)
        }
    }

    @Test func anEmptyTokenFileIsAnError() throws {
        let sandbox = try Sandbox()
        try sandbox.write("token", "\n")
        #expect(throws: GitError.credentialFileEmpty(path: sandbox.path("token"))) {
            try GitCredentials.token(fromFile: sandbox.path("token"))
        }
    }

    @Test func aDirectoryIsNotATokenFile() throws {
        let sandbox = try Sandbox()
        #expect {
            try GitCredentials.token(fromFile: sandbox.root)
        } throws: { error in
            guard case .credentialFileUnreadable(let path, _) = error as? GitError else { return false }
            return path == sandbox.root
        }
    }

    @Test func aTokenComesFromTheEnvironment() throws {
        let name = "CAPSTAN_TEST_TOKEN_\(UUID().uuidString.prefix(8))"
        setenv(name, "ghp_from_env\n", 1)
        defer { unsetenv(name) }
        #expect(try GitCredentials.readSecret(fromEnvironment: name) == "ghp_from_env")
        #expect("\(try GitCredentials.token(fromEnvironment: name, username: "oauth2"))" == "token for user oauth2")
    }

    @Test func anUnsetOrEmptyVariableIsNamedInTheError() throws {
        let name = "CAPSTAN_TEST_TOKEN_\(UUID().uuidString.prefix(8))"
        #expect(throws: GitError.credentialVariableUnset(name: name)) { try GitCredentials.token(fromEnvironment: name) }
        setenv(name, " \n", 1)
        defer { unsetenv(name) }
        #expect(throws: GitError.credentialVariableEmpty(name: name)) { try GitCredentials.token(fromEnvironment: name) }
    }

    @Test func credentialsNeverShowTheirSecret() throws {
        let sandbox = try Sandbox()
        try sandbox.write("id_ed25519", "key\n")
        let all = [
            GitCredentials.token("ghp_secret"),
            try GitCredentials.sshKey(privateKeyPath: sandbox.path("id_ed25519"), passphrase: "hunter2"),
        ]
        for credentials in all {
            var dumped = ""
            dump(credentials, to: &dumped)
            for text in ["\(credentials)", String(reflecting: credentials), dumped] {
                #expect(!text.contains("ghp_secret") && !text.contains("hunter2"), "\(text)")
            }
        }
    }

    @Test func anSSHKeyFileMustExist() throws {
        let sandbox = try Sandbox()
        let path = sandbox.path("id_missing")
        #expect(throws: GitError.sshKeyUnreadable(path: path, reason: "No such file or directory")) {
            try GitCredentials.sshKey(privateKeyPath: path)
        }
        try sandbox.write("id_present", "key\n")
        #expect(throws: GitError.sshKeyUnreadable(path: path, reason: "No such file or directory")) {
            try GitCredentials.sshKey(privateKeyPath: sandbox.path("id_present"), publicKeyPath: path)
        }
    }

    @Test(arguments: [
        ("ssh://git@example.invalid/repo.git", true),
        ("SSH://example.invalid/repo.git", true),
        ("git+ssh://example.invalid/repo.git", true),
        ("git@example.invalid:org/repo.git", true),
        ("https://example.invalid/repo.git", false),
        ("git://example.invalid/repo.git", false),
        ("file:///srv/repo", false),
        ("/srv/repo", false),
    ])
    func sshURLsAreRecognisedAsLibgit2Does(url: String, isSSH: Bool) {
        #expect(Transport.isSSH(url) == isSSH)
    }

    @Test func withoutSSHAnSSHURLIsRefusedBeforeAnyFetch() {
        #expect(throws: GitError.sshUnsupported(url: "ssh://example.invalid/repo.git")) {
            try Transport.checkSupported("ssh://git:pw@example.invalid/repo.git", sshSupported: false)
        }
        #expect(throws: Never.self) { try Transport.checkSupported("https://example.invalid/repo.git", sshSupported: false) }
        #expect(throws: Never.self) { try Transport.checkSupported("ssh://example.invalid/repo.git", sshSupported: true) }
    }
}
