import Foundation

/// What the controller's HTTP API (status, health, metrics, webhook, manual sync) needs from
/// the controller. The HTTP layer only reads status and queues triggers: reconciles are run,
/// serialized and coalesced by the controller itself.
public protocol ControllerAPI: Sendable {
    func status() async -> ControllerStatus
    /// Ready after the first successful sync.
    func isReady() async -> Bool
    /// Queues a sync; returns at once.
    func trigger(_ trigger: SyncTrigger) async
    /// The Prometheus text exposition of the controller's metrics.
    func metricsText() async -> String
    /// Counts a webhook request by result (`accepted`, `bad_signature`, `ignored`, `too_large`, `bad_request`).
    func recordWebhook(result: String) async
}

public enum SyncTrigger: Sendable, Equatable {
    case poll
    /// A push reported by a forge (`github`, `gitea`, `gitlab`).
    case webhook(provider: String)
    /// `capstan sync` or `POST /api/v1/sync`; a server name clears that server's crash-loop mark.
    case manual(server: String?)
    /// A Docker event on an owned container.
    case drift(server: String)

    public var isDrift: Bool {
        if case .drift = self { return true }
        return false
    }

    public var isWebhook: Bool {
        if case .webhook = self { return true }
        return false
    }

    public var auditName: String {
        switch self {
        case .poll: return "poll"
        case .webhook: return "webhook"
        case .manual: return "manual"
        case .drift: return "drift"
        }
    }
}

/// The controller's state as `GET /api/v1/status` returns it.
public struct ControllerStatus: Sendable, Codable, Equatable {
    public struct Resource: Sendable, Codable, Equatable {
        public var address: String
        public var desired: String
        public var observed: String
        public var inSync: Bool
        public var pending: String?
        /// True when the restart budget is spent; cleared by a spec change or `capstan sync --server`.
        public var crashLooping: Bool

        public init(address: String, desired: String, observed: String, inSync: Bool, pending: String?, crashLooping: Bool) {
            self.address = address
            self.desired = desired
            self.observed = observed
            self.inSync = inSync
            self.pending = pending
            self.crashLooping = crashLooping
        }
    }

    public struct Attempt: Sendable, Codable, Equatable {
        public var revision: String?
        public var trigger: String
        public var at: Date
        public var result: String
        /// Validation diagnostics as `file:line:column: message`, or the fetch/engine error.
        public var errors: [String]

        public init(revision: String?, trigger: String, at: Date, result: String, errors: [String]) {
            self.revision = revision
            self.trigger = trigger
            self.at = at
            self.result = result
            self.errors = errors
        }
    }

    public var instance: String
    public var repository: String
    public var branch: String
    public var lastAppliedRevision: String?
    public var lastAttempt: Attempt?
    public var nextPoll: Date?
    public var resources: [Resource]

    public init(instance: String, repository: String, branch: String, lastAppliedRevision: String?,
                lastAttempt: Attempt?, nextPoll: Date?, resources: [Resource]) {
        self.instance = instance
        self.repository = repository
        self.branch = branch
        self.lastAppliedRevision = lastAppliedRevision
        self.lastAttempt = lastAttempt
        self.nextPoll = nextPoll
        self.resources = resources
    }
}
