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
    /// Syncs starting and ending and owned containers changing state, from now on, until the
    /// stream is dropped. The dashboard's live updates.
    func liveEvents() async -> AsyncStream<ControllerEvent>
}

/// Something the dashboard redraws for. Carries names and outcomes only, never a value of the
/// repository or of a container's environment.
public enum ControllerEvent: Sendable, Equatable {
    case syncStarted(trigger: String)
    case syncFinished(result: String, revision: String?)
    /// A Docker event (`start`, `die`, `destroy`, …) on the container of a server.
    case container(server: String, action: String)

    /// The SSE event name.
    public var name: String {
        switch self {
        case .syncStarted: return "sync-started"
        case .syncFinished: return "sync-finished"
        case .container: return "container"
        }
    }

    public var fields: [String: String] {
        switch self {
        case .syncStarted(let trigger): return ["trigger": trigger]
        case .syncFinished(let result, let revision): return ["result": result, "revision": revision ?? ""]
        case .container(let server, let action): return ["server": server, "action": action]
        }
    }
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
        /// The image the repository asks for, and the one the container runs.
        public var desiredImage: String?
        public var observedImage: String?
        /// The spec hash the repository gives, and the one on the container's label.
        public var desiredSpecHash: String?
        public var observedSpecHash: String?
        /// Restarts by the controller within the restart window.
        public var restarts: Int

        public init(address: String, desired: String, observed: String, inSync: Bool, pending: String?, crashLooping: Bool,
                    desiredImage: String? = nil, observedImage: String? = nil,
                    desiredSpecHash: String? = nil, observedSpecHash: String? = nil, restarts: Int = 0) {
            self.address = address
            self.desired = desired
            self.observed = observed
            self.inSync = inSync
            self.pending = pending
            self.crashLooping = crashLooping
            self.desiredImage = desiredImage
            self.observedImage = observedImage
            self.desiredSpecHash = desiredSpecHash
            self.observedSpecHash = observedSpecHash
            self.restarts = restarts
        }
    }

    /// A commit as people recognise it: subject and author, never the email.
    public struct Commit: Sendable, Codable, Equatable {
        public var revision: String
        public var summary: String
        public var author: String
        public var authoredAt: Date

        public init(revision: String, summary: String, author: String, authoredAt: Date) {
            self.revision = revision
            self.summary = summary
            self.author = author
            self.authoredAt = authoredAt
        }
    }

    public struct Attempt: Sendable, Codable, Equatable {
        public var revision: String?
        public var trigger: String
        public var at: Date
        public var result: String
        /// Validation diagnostics as `file:line:column: message`, or the fetch/engine error.
        public var errors: [String]
        public var commit: Commit?

        public init(revision: String?, trigger: String, at: Date, result: String, errors: [String], commit: Commit? = nil) {
            self.revision = revision
            self.trigger = trigger
            self.at = at
            self.result = result
            self.errors = errors
            self.commit = commit
        }
    }

    public var instance: String
    public var repository: String
    public var branch: String
    public var lastAppliedRevision: String?
    public var lastAppliedCommit: Commit?
    public var lastAttempt: Attempt?
    /// A reconcile is running now.
    public var syncing: Bool
    public var nextPoll: Date?
    public var resources: [Resource]

    public init(instance: String, repository: String, branch: String, lastAppliedRevision: String?,
                lastAttempt: Attempt?, nextPoll: Date?, resources: [Resource],
                lastAppliedCommit: Commit? = nil, syncing: Bool = false) {
        self.instance = instance
        self.repository = repository
        self.branch = branch
        self.lastAppliedRevision = lastAppliedRevision
        self.lastAppliedCommit = lastAppliedCommit
        self.lastAttempt = lastAttempt
        self.syncing = syncing
        self.nextPoll = nextPoll
        self.resources = resources
    }
}
