import Foundation

/// A forge that sends push webhooks. The raw value is the provider name of `SyncTrigger.webhook`.
public enum WebhookProvider: String, Sendable, Equatable, CaseIterable {
    case github
    /// Gitea and Forgejo (Forgejo also sends the Gitea headers).
    case gitea
    case gitlab
}

/// A delivery's headers by lowercased name; only the first value of a repeated header is kept.
struct WebhookHeaders: Sendable {
    private let values: [String: String]

    init(_ fields: some Sequence<(name: String, value: String)>) {
        var values: [String: String] = [:]
        for field in fields where values[field.name.lowercased()] == nil {
            values[field.name.lowercased()] = field.value
        }
        self.values = values
    }

    subscript(name: String) -> String? { values[name.lowercased()] }
}

/// What to do with one webhook delivery, decided from its headers and raw body, and for an
/// accepted push, whether its delivery id was accepted before.
enum WebhookOutcome: Sendable, Equatable {
    case accepted(WebhookProvider)
    case ignored(WebhookProvider, IgnoredReason)
    case badSignature(SignatureCheck)
    case badRequest(BadRequestReason)
    case tooLarge

    enum IgnoredReason: Sendable, Equatable {
        case notAPush(event: String)
        case otherRef(String)
        /// A push whose delivery id was accepted a moment ago: already queued once.
        case replayed(delivery: String)
    }

    enum BadRequestReason: Sendable, Equatable {
        /// None of `X-GitHub-Event`, `X-Gitea-Event`, `X-Forgejo-Event`, `X-Gitlab-Event`.
        case unknownSender
        case malformedPayload
    }

    /// The label `ControllerAPI.recordWebhook(result:)` counts this outcome under.
    var result: String {
        switch self {
        case .accepted: return "accepted"
        case .ignored(_, .replayed): return "replayed"
        case .ignored: return "ignored"
        case .badSignature: return "bad_signature"
        case .badRequest: return "bad_request"
        case .tooLarge: return "too_large"
        }
    }
}

/// Classifies deliveries: sender, then credential (before a byte of the body is parsed), then
/// event kind, then the pushed ref, then whether the same delivery was accepted already.
struct WebhookEvaluator: Sendable {
    let secret: WebhookSecret
    let branch: FollowedBranch
    /// Shared by every request the evaluator sees (it is a reference): ids are remembered only
    /// once a delivery is signed and accepted, so nobody without the secret can fill it.
    var deliveries = WebhookDeliveries()

    func evaluate(headers: WebhookHeaders, body: [UInt8], now: Date = Date()) -> WebhookOutcome {
        // Gitea and Forgejo also send `X-GitHub-Event`, so their own headers are looked at first.
        let provider: WebhookProvider
        let event: String
        let check: SignatureCheck
        if let giteaEvent = headers["X-Forgejo-Event"] ?? headers["X-Gitea-Event"] {
            provider = .gitea
            event = giteaEvent
            // A Forgejo signature, when present, is the one checked: a bad one is not rescued
            // by a good Gitea one.
            let signature = headers["X-Forgejo-Signature"] ?? headers["X-Gitea-Signature"]
            check = WebhookSignature.verifyGitea(header: signature, body: body, secret: secret)
        } else if let gitlabEvent = headers["X-Gitlab-Event"] {
            provider = .gitlab
            event = gitlabEvent
            check = WebhookSignature.verifyGitLab(token: headers["X-Gitlab-Token"], secret: secret)
        } else if let githubEvent = headers["X-GitHub-Event"] {
            provider = .github
            event = githubEvent
            check = WebhookSignature.verifyGitHub(header: headers["X-Hub-Signature-256"], body: body, secret: secret)
        } else {
            return .badRequest(.unknownSender)
        }

        guard check == .valid else { return .badSignature(check) }
        guard Self.isPush(event, provider: provider) else { return .ignored(provider, .notAPush(event: event)) }
        switch PushEvent.parseRef(body) {
        case .malformed:
            return .badRequest(.malformedPayload)
        case .ref(let ref):
            guard branch.matches(ref: ref) else { return .ignored(provider, .otherRef(ref)) }
            // The same delivery sent twice queues one sync. A delivery without an id (a hand-made
            // request, an old forge) cannot be recognised and is accepted as before.
            if let id = WebhookDeliveries.deliveryID(headers, provider: provider),
               !deliveries.firstTime(id, provider: provider, now: now) {
                return .ignored(provider, .replayed(delivery: id))
            }
            return .accepted(provider)
        }
    }

    static func isPush(_ event: String, provider: WebhookProvider) -> Bool {
        switch provider {
        case .github, .gitea: return event == "push"
        case .gitlab: return event == "Push Hook"
        }
    }
}
