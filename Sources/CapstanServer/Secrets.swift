import Crypto

/// The shared secret that forges sign webhook deliveries with (GitHub, Gitea/Forgejo) or send
/// verbatim (GitLab). Its description and mirror are redacted so it cannot leak through logging
/// or `dump`.
public struct WebhookSecret: Sendable {
    let bytes: [UInt8]
    /// SHA-256 of the secret: GitLab's token is compared through it, so the comparison has a
    /// fixed length whatever the caller sends.
    let digest: [UInt8]

    /// The secret exactly as given (the CLI trims a file's trailing newline, not this type).
    public init(_ bytes: some Sequence<UInt8>) throws(ControllerServerError) {
        let bytes = Array(bytes)
        guard !bytes.isEmpty else { throw .emptyWebhookSecret }
        self.bytes = bytes
        self.digest = Array(SHA256.hash(data: bytes))
    }
}

/// The admin bearer token for `POST /api/v1/sync`. Only its SHA-256 is kept.
public struct AdminToken: Sendable {
    let digest: [UInt8]

    public init(_ token: String) throws(ControllerServerError) {
        guard !token.isEmpty else { throw .emptyAdminToken }
        self.digest = Array(SHA256.hash(data: Array(token.utf8)))
    }

    /// Whether `presented` is this token, compared as SHA-256 digests in constant time.
    func matches(_ presented: String) -> Bool {
        constantTimeEquals(Array(SHA256.hash(data: Array(presented.utf8))), digest)
    }
}

extension WebhookSecret: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "WebhookSecret(redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: []) }
}

extension AdminToken: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "AdminToken(redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: []) }
}
