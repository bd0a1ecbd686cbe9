import CGit2

/// Answers libgit2's credential requests during one fetch. libgit2 asks again each time the
/// remote refuses what it was given (over SSH, in a loop with no end), and the credentials here
/// never change between two requests, so each kind is handed out once: a second request for it
/// means it was refused, and the fetch stops. At most three requests are answered (an SSH user
/// name, the key, then the refusal).
final class CredentialProvider {
    private let credentials: GitCredentials
    private var offered: Set<UInt32> = []
    /// Whether the fetch stopped here; the caller reports an authentication failure then,
    /// whatever code libgit2 passed up.
    private(set) var refused = false

    init(_ credentials: GitCredentials) {
        self.credentials = credentials
    }

    /// The `git_credential_acquire_cb` for `git_remote_callbacks.credentials`; `payload` is an
    /// unretained `CredentialProvider`.
    static let callback: git_credential_acquire_cb = { out, _, usernameFromURL, allowedTypes, payload in
        let provider = Unmanaged<CredentialProvider>.fromOpaque(payload!).takeUnretainedValue()
        return provider.acquire(out!, usernameFromURL: usernameFromURL.map { String(cString: $0) }, allowed: allowedTypes)
    }

    private func acquire(_ out: UnsafeMutablePointer<UnsafeMutablePointer<git_credential>?>, usernameFromURL: String?, allowed: UInt32) -> Int32 {
        let userpass = GIT_CREDENTIAL_USERPASS_PLAINTEXT.rawValue
        let sshKey = GIT_CREDENTIAL_SSH_KEY.rawValue
        let username = GIT_CREDENTIAL_USERNAME.rawValue
        switch credentials.kind {
        case .none:
            // libgit2 has tried the URL's userinfo, if there was any, before asking.
            return refuse("the remote requires authentication and no credentials are configured")
        case .token(let user, let token):
            guard allowed & userpass != 0 else {
                return refuse("the remote does not accept a user name and password (a token)")
            }
            return offer(userpass) { git_credential_userpass_plaintext_new(out, user, token) }
        case .sshKey(let user, let privateKey, let publicKey, let passphrase):
            // libgit2 refuses a user name other than the URL's.
            let user = usernameFromURL ?? user
            if allowed & username != 0 {
                return offer(username) { git_credential_username_new(out, user) }
            }
            guard allowed & sshKey != 0 else {
                return refuse("the remote does not accept an SSH key")
            }
            return offer(sshKey) { git_credential_ssh_key_new(out, user, publicKey, privateKey, passphrase) }
        }
    }

    private func offer(_ type: UInt32, _ make: () -> Int32) -> Int32 {
        guard offered.insert(type).inserted else {
            return refuse("the remote refused the configured credentials")
        }
        return make()
    }

    private func refuse(_ reason: String) -> Int32 {
        refused = true
        git_error_set_str(Int32(GIT_ERROR_NET.rawValue), reason)
        return GIT_EAUTH.rawValue
    }
}
