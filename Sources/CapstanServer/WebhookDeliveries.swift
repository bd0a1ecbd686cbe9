import Foundation
import Synchronization

/// The delivery ids of recently accepted webhooks, so that a delivery sent twice (a forge's
/// retry after a lost answer, a "redeliver" click, a captured request played back) queues one
/// sync, not two.
///
/// Forges sign the body, not the delivery header, so this is not a defence against someone who
/// holds a signed body and invents a fresh id: that costs one more (idempotent) reconcile, like
/// a second push would. It stops whole requests sent again as they were.
final class WebhookDeliveries: Sendable {
    /// How long an accepted id is remembered: well past a forge's retries, short enough that a
    /// deliberate redelivery much later (after fixing the controller) still syncs.
    static let defaultWindow: TimeInterval = 10 * 60
    /// At most this many ids are kept; the oldest go first beyond it.
    static let defaultCapacity = 1000
    /// Longer ids are not remembered (no forge sends one); they cannot fill memory either.
    static let maxIDLength = 200

    let window: TimeInterval
    let capacity: Int
    /// Key (`provider:id`) → when it was accepted.
    private let seen = Mutex<[String: Date]>([:])

    init(window: TimeInterval = defaultWindow, capacity: Int = defaultCapacity) {
        self.window = window
        self.capacity = capacity
    }

    /// The delivery id a forge sends with every delivery, if any: GitHub `X-GitHub-Delivery`,
    /// Gitea `X-Gitea-Delivery` (Forgejo also `X-Forgejo-Delivery`), GitLab
    /// `X-Gitlab-Event-UUID` (not `X-Gitlab-Webhook-UUID`, which names the hook, not the delivery).
    static func deliveryID(_ headers: WebhookHeaders, provider: WebhookProvider) -> String? {
        let id: String?
        switch provider {
        case .github: id = headers["X-GitHub-Delivery"]
        case .gitea: id = headers["X-Forgejo-Delivery"] ?? headers["X-Gitea-Delivery"]
        case .gitlab: id = headers["X-Gitlab-Event-UUID"]
        }
        guard let id, !id.isEmpty, id.utf8.count <= maxIDLength else { return nil }
        return id
    }

    /// Records `id` as accepted now; false when it was already accepted within the window.
    func firstTime(_ id: String, provider: WebhookProvider, now: Date = Date()) -> Bool {
        let key = provider.rawValue + ":" + id
        return seen.withLock { seen in
            if let at = seen[key], now.timeIntervalSince(at) < window { return false }
            if seen.count >= capacity {
                seen = seen.filter { now.timeIntervalSince($0.value) < window }
                while seen.count >= capacity, let oldest = seen.min(by: { $0.value < $1.value }) {
                    seen.removeValue(forKey: oldest.key)
                }
            }
            seen[key] = now
            return true
        }
    }
}
