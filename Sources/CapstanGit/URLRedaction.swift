/// Keeps credentials out of everything CapstanGit reports: a repository URL may carry a token
/// or a password as userinfo (`https://user:token@host/repo.git`).
enum URLRedaction {
    /// The URL without its userinfo. Only `scheme://` URLs have userinfo; scp-like `git@host:path`
    /// and local paths are returned unchanged (the `git@` there is a login name, not a secret).
    static func redact(_ url: String) -> String {
        guard let parts = split(url), parts.userinfo != nil else { return url }
        return parts.scheme + "://" + parts.rest
    }

    /// A libgit2 message about `url`, with the URL's secrets removed wherever they appear:
    /// whole, inside another URL, or percent-decoded.
    static func scrub(_ message: String, url: String) -> String {
        guard let userinfo = split(url)?.userinfo else { return message }
        var text = message.replacing(url, with: redact(url))
        let colon = userinfo.firstIndex(of: ":")
        let user = String(userinfo[..<(colon ?? userinfo.endIndex)])
        let password = colon.map { String(userinfo[userinfo.index(after: $0)...]) } ?? ""
        // With no password, the user part is the secret (`https://TOKEN@host`), except for ssh
        // where it is the login name.
        let userIsSecret = password.isEmpty && !url.lowercased().hasPrefix("ssh://")
        let secrets = !password.isEmpty ? [userinfo, password, percentDecoded(password)]
            : userIsSecret ? [user, percentDecoded(user)] : []
        for secret in Set(secrets).filter({ !$0.isEmpty }).sorted(by: { $0.count > $1.count }) {
            text = text.replacing(secret, with: "***")
        }
        return text
    }

    private static func split(_ url: String) -> (scheme: String, userinfo: String?, rest: String)? {
        guard let separator = url.firstRange(of: "://") else { return nil }
        let scheme = String(url[..<separator.lowerBound])
        let afterScheme = url[separator.upperBound...]
        let authorityEnd = afterScheme.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? afterScheme.endIndex
        guard let at = afterScheme[..<authorityEnd].lastIndex(of: "@") else {
            return (scheme, nil, String(afterScheme))
        }
        return (scheme, String(afterScheme[..<at]), String(afterScheme[afterScheme.index(after: at)...]))
    }

    private static func percentDecoded(_ text: String) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
               let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
