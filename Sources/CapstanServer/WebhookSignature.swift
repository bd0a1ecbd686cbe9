import Crypto

/// The result of checking a delivery's credential against the webhook secret.
enum SignatureCheck: Sendable, Equatable {
    case valid
    /// No credential header, or an empty one.
    case missing
    /// A credential of the wrong shape: wrong prefix, not hex, or not a SHA-256 length.
    case malformed
    /// A well-formed credential that does not match.
    case mismatch
}

/// Credential checks per forge. Each works on the raw body as received: re-encoding the JSON
/// would change the bytes that were signed.
enum WebhookSignature {
    /// GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`.
    static func verifyGitHub(header: String?, body: [UInt8], secret: WebhookSecret) -> SignatureCheck {
        guard let header, !header.isEmpty else { return .missing }
        let prefix = "sha256="
        guard header.hasPrefix(prefix) else { return .malformed }
        return verifyHexMAC(String(header.dropFirst(prefix.count)), body: body, secret: secret)
    }

    /// Gitea and Forgejo: `X-Gitea-Signature` (or `X-Forgejo-Signature`): bare hex HMAC-SHA256.
    static func verifyGitea(header: String?, body: [UInt8], secret: WebhookSecret) -> SignatureCheck {
        guard let header, !header.isEmpty else { return .missing }
        return verifyHexMAC(header, body: body, secret: secret)
    }

    /// GitLab: `X-Gitlab-Token` carries the secret itself; compared as SHA-256 digests so the
    /// comparison's length does not depend on what the caller sent.
    static func verifyGitLab(token: String?, secret: WebhookSecret) -> SignatureCheck {
        guard let token, !token.isEmpty else { return .missing }
        let presented = Array(SHA256.hash(data: Array(token.utf8)))
        return constantTimeEquals(presented, secret.digest) ? .valid : .mismatch
    }

    /// The lowercase hex HMAC-SHA256 a forge would send for `body`.
    static func hexMAC(body: [UInt8], secret: WebhookSecret) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: secret.bytes))
        return Hex.encode(Array(mac))
    }

    private static func verifyHexMAC(_ hex: String, body: [UInt8], secret: WebhookSecret) -> SignatureCheck {
        guard let presented = Hex.decode(hex), presented.count == SHA256.byteCount else { return .malformed }
        let expected = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: secret.bytes))
        return constantTimeEquals(presented, Array(expected)) ? .valid : .mismatch
    }
}

/// Hex for signatures. Decoding branches on the caller's own input only, never on the secret.
enum Hex {
    static func decode(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = value(of: digits[index]), let low = value(of: digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    static func encode(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func value(of digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return digit - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
