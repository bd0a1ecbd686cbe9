#if canImport(Glibc)
import Glibc
#endif

/// How a fetch authenticates to its remote. The secret lives in memory only, is handed to libgit2
/// for the fetch, and shows in no description, debug description or reflection of the value, so
/// logging one (or an error or a status that holds one) reveals nothing.
///
/// Read tokens and passphrases with `token(fromFile:)`, `token(fromEnvironment:)` and
/// `readSecret(...)`: never from the command line, where every user of the host can see them.
public struct GitCredentials: Sendable {
    enum Kind: Sendable {
        case none
        /// HTTP Basic authentication with the token as password.
        case token(username: String, token: String)
        /// `username` is used when the URL names no user; libgit2 insists on the URL's otherwise.
        case sshKey(username: String, privateKeyPath: String, publicKeyPath: String?, passphrase: String?)
    }

    let kind: Kind

    /// Nothing to offer: a remote that asks for credentials fails with `.authenticationFailed`.
    /// Userinfo in the URL (`https://user:token@host/...`) is still tried first, as git does.
    public static let none = GitCredentials(kind: .none)

    /// A token for HTTP(S) Basic authentication. Most hosts ignore the user name when the password
    /// is a token; GitHub's documented one is the default (GitLab takes "oauth2").
    public static func token(_ token: String, username: String = "x-access-token") -> GitCredentials {
        GitCredentials(kind: .token(username: username, token: token))
    }

    /// A token read now from `path` (see `readSecret(fromFile:)`).
    public static func token(fromFile path: String, username: String = "x-access-token") throws(GitError) -> GitCredentials {
        .token(try readSecret(fromFile: path), username: username)
    }

    /// A token read now from the environment variable `name` (see `readSecret(fromEnvironment:)`).
    public static func token(fromEnvironment name: String, username: String = "x-access-token") throws(GitError) -> GitCredentials {
        .token(try readSecret(fromEnvironment: name), username: username)
    }

    /// A private key file for `ssh://` remotes, checked for readability now so that a wrong path
    /// shows when the configuration is loaded rather than at the first fetch. Without
    /// `publicKeyPath`, libssh2 derives the public key from the private one. The remote's host key
    /// must be in `~/.ssh/known_hosts` of the user running capstan (libgit2 checks it, as ssh does).
    public static func sshKey(
        privateKeyPath: String, publicKeyPath: String? = nil, passphrase: String? = nil, username: String = "git"
    ) throws(GitError) -> GitCredentials {
        for path in [privateKeyPath] + (publicKeyPath.map { [$0] } ?? []) {
            try checkReadable(path) { .sshKeyUnreadable(path: path, reason: $0) }
        }
        return GitCredentials(kind: .sshKey(
            username: username, privateKeyPath: privateKeyPath, publicKeyPath: publicKeyPath, passphrase: passphrase
        ))
    }

    /// The content of `path` without surrounding white space (a trailing newline above all).
    /// Errors name the file, never what is in it.
    public static func readSecret(fromFile path: String) throws(GitError) -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .credentialFileUnreadable(path: path, reason: systemReason()) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .credentialFileUnreadable(path: path, reason: systemReason())
            }
            if count == 0 { break }
            bytes += chunk[..<count]
            // A secret is a line; anything this large is the wrong file (or a device that never ends).
            guard bytes.count <= maxSecretBytes else {
                throw .credentialFileUnreadable(path: path, reason: "larger than \(maxSecretBytes) bytes")
            }
        }
        let secret = trimmed(bytes)
        guard !secret.isEmpty else { throw .credentialFileEmpty(path: path) }
        return secret
    }

    /// The value of the environment variable `name` without surrounding white space. Errors name
    /// the variable, never its value.
    public static func readSecret(fromEnvironment name: String) throws(GitError) -> String {
        guard let value = getenv(name) else { throw .credentialVariableUnset(name: name) }
        let secret = trimmed(Array(String(cString: value).utf8))
        guard !secret.isEmpty else { throw .credentialVariableEmpty(name: name) }
        return secret
    }

    private static let maxSecretBytes = 64 * 1024

    private static func trimmed(_ bytes: [UInt8]) -> String {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }

    private static func checkReadable(_ path: String, _ failure: (String) -> GitError) throws(GitError) {
        var status = stat()
        guard stat(path, &status) == 0 else { throw failure(systemReason()) }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw failure("not a regular file") }
        guard access(path, R_OK) == 0 else { throw failure(systemReason()) }
    }

    private static func systemReason() -> String {
        String(cString: strerror(errno))
    }
}

extension GitCredentials: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// What kind of credentials these are, without the secret.
    public var description: String {
        switch kind {
        case .none: "no credentials"
        case .token(let username, _): "token for user \(username)"
        case .sshKey(let username, let privateKeyPath, _, _): "ssh key \(privateKeyPath) for user \(username)"
        }
    }

    public var debugDescription: String { "GitCredentials(\(description))" }

    /// `dump` and `String(reflecting:)` would otherwise walk into the secret.
    public var customMirror: Mirror { Mirror(self, children: ["kind": description]) }
}
