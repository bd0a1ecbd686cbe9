import CapstanCore
import CapstanGit
import Foundation
import Synchronization

/// Follows a branch and keeps the host converged: every trigger (poll, webhook, manual, drift)
/// only queues work; reconciles run one at a time, and triggers that arrive during one are
/// coalesced into the next. A commit that fails validation changes nothing: the last good
/// revision keeps running and the status names the bad one with its diagnostics.
public actor Controller: ControllerAPI {
    public struct Configuration: Sendable {
        public var repository: String
        public var branch: String
        public var instance: String?
        public var pollInterval: TimeInterval = 30
        public var restartBudget = RestartBudget()
        public var backoff = Backoff()
        public var concurrency = 4
        public var notifier: Notifier?
        /// Where each attempt is told, for the journal of a controller run by systemd; the CLI
        /// picks the level (a no-op poll is debug, a change notice, a failure error).
        public var log: (@Sendable (AttemptLog) -> Void)?

        public init(repository: String, branch: String, instance: String?) {
            self.repository = repository
            self.branch = branch
            self.instance = instance
        }
    }

    /// Fetches the remote and returns the branch's tree.
    public typealias Fetch = @Sendable () async throws -> ManifestSource
    /// Owned-container events: (server name, action) pairs, until cancelled.
    public typealias Events = @Sendable (_ instance: String) -> AsyncThrowingStream<(server: String, action: String), any Error>

    private let config: Configuration
    private let fetch: Fetch
    private let events: Events
    private let pipeline: PlanPipeline
    private let engine: any ContainerEngine
    private let secrets: SecretStore
    private let recorder: AuditRecorder
    private let now: @Sendable () -> Date
    private let random: @Sendable () -> Double
    public nonisolated let metrics = Metrics()

    static let driftSettle = Duration.milliseconds(500)
    static let webhookSettle = Duration.milliseconds(300)

    private var budget: RestartBudget
    private var pending: [SyncTrigger] = []
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private var ready = false
    private var failures = 0
    private var lastApplied: String?
    private var lastAppliedCommit: ControllerStatus.Commit?
    private var lastAttempt: ControllerStatus.Attempt?
    private var syncing = false
    private let hub = EventHub()
    private var nextPoll: Date?
    private var resources: [ControllerStatus.Resource] = []
    private var instance: String
    /// nil until the first attempt; notifications go out when this flips.
    private var healthy: Bool?
    /// Watches the events of the instance the repository names; restarted if that changes.
    private var watcher: (instance: String, task: Task<Void, Never>)?

    public init(config: Configuration, fetch: @escaping Fetch, events: @escaping Events, pipeline: PlanPipeline,
                engine: any ContainerEngine, secrets: SecretStore, recorder: AuditRecorder,
                now: @escaping @Sendable () -> Date = { Date() }, random: @escaping @Sendable () -> Double = { Double.random(in: 0...1) }) {
        self.config = config
        self.fetch = fetch
        self.events = events
        self.pipeline = pipeline
        self.engine = engine
        self.secrets = secrets
        self.recorder = recorder
        self.now = now
        self.random = random
        budget = config.restartBudget
        instance = config.instance ?? "capstan"
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        Self.describeMetrics(metrics)
    }

    // MARK: ControllerAPI

    public func trigger(_ trigger: SyncTrigger) {
        pending.append(trigger)
        wake.yield()
    }

    public func isReady() -> Bool { ready }

    public func metricsText() -> String { metrics.render() }

    public func recordWebhook(result: String) {
        metrics.increment("capstan_webhook_requests_total", ["result": result])
    }

    public func status() -> ControllerStatus {
        ControllerStatus(instance: instance, repository: config.repository, branch: config.branch,
                         lastAppliedRevision: lastApplied, lastAttempt: lastAttempt, nextPoll: nextPoll, resources: resources,
                         lastAppliedCommit: lastAppliedCommit, syncing: syncing)
    }

    public func liveEvents() -> AsyncStream<ControllerEvent> { hub.subscribe() }

    /// Ends the event streams: at shutdown, the HTTP server waits for open responses.
    public nonisolated func endEvents() { hub.finishAll() }

    // MARK: The loop

    /// Runs until cancelled. Cancellation (SIGTERM) lets the reconcile in flight finish.
    public func run() async {
        let poller = Task { await self.pollForever() }
        defer {
            poller.cancel()
            watcher?.task.cancel()
        }
        trigger(.poll)
        for await _ in wakeups {
            if Task.isCancelled { break }
            if pending.contains(where: \.isDrift) {
                // Docker reports "die" a moment before its container list says "exited"; the
                // pause also folds an exit's burst of events (kill, die, stop) into one reconcile.
                try? await Task.sleep(for: Self.driftSettle)
            } else if pending.contains(where: \.isWebhook) {
                // Pushes come in bursts (a branch of commits, several forges): take them as one.
                try? await Task.sleep(for: Self.webhookSettle)
            }
            let batch = pending
            pending.removeAll()
            guard !batch.isEmpty else { continue }
            // An unstructured task is not cancelled with us: the apply in flight completes.
            let work = Task { await self.reconcile(batch) }
            await work.value
            if Task.isCancelled { break }
            if failures > 0 {
                let delay = config.backoff.delay(afterFailures: failures, random: random())
                let retry = Task { [weak self] in
                    try? await Task.sleep(for: .seconds(delay))
                    await self?.trigger(.poll)
                }
                _ = retry
            }
        }
    }

    private func pollForever() async {
        while !Task.isCancelled {
            // ±10% jitter keeps many controllers from polling one forge in step.
            let interval = config.pollInterval * (0.9 + 0.2 * random())
            nextPoll = now().addingTimeInterval(interval)
            try? await Task.sleep(for: .seconds(interval))
            if Task.isCancelled { return }
            trigger(.poll)
        }
    }

    private func watchEvents(instance: String) async {
        var failures = 0
        while !Task.isCancelled {
            do {
                for try await event in events(instance) {
                    failures = 0
                    hub.publish(.container(server: event.server, action: event.action))
                    if ["die", "stop", "destroy", "oom", "kill"].contains(event.action) {
                        trigger(.drift(server: event.server))
                    }
                }
            } catch {
                failures += 1
            }
            try? await Task.sleep(for: .seconds(config.backoff.delay(afterFailures: max(failures, 1), random: random())))
        }
    }

    /// fetch → validate → observe → plan → apply → record, for one batch of triggers.
    func reconcile(_ batch: [SyncTrigger]) async {
        let started = now()
        let triggerName = (batch.first { $0 != .poll } ?? batch[0]).auditName
        for case .manual(let server?) in batch { budget.reset(server) }
        syncing = true
        hub.publish(.syncStarted(trigger: triggerName))

        let source: ManifestSource
        do {
            source = try await fetch()
        } catch {
            failures += 1
            metrics.increment("capstan_git_fetch_errors_total")
            finish(revision: nil, commit: nil, trigger: triggerName, result: "fetch_failed", errors: [String(describing: error)], started: started)
            return
        }
        let commit = source.commit.map(Self.commit)
        let prepared: PlanPipeline.Prepared
        do {
            prepared = try await pipeline.prepare(source)
        } catch {
            let (result, errors) = Self.describe(error)
            if result != "invalid" { failures += 1 }
            try? await recorder.recordRejected(revision: source.revision, trigger: triggerName, started: started, ended: now())
            finish(revision: source.revision, commit: commit, trigger: triggerName, result: result, errors: errors, started: started)
            return
        }
        instance = prepared.plan.instance
        if watcher?.instance != instance {
            watcher?.task.cancel()
            let watched = instance
            watcher = (watched, Task { await self.watchEvents(instance: watched) })
        }
        // Nothing is applied that the audit store cannot record: with its disk full the controller
        // stops before acting, says why, and retries with backoff until there is room again.
        if let refusal = recorder.refusalToApply() {
            failures += 1
            await refreshResources(source)
            finish(revision: prepared.plan.revision, commit: commit, trigger: triggerName, result: "audit_unavailable",
                   errors: [refusal], started: started)
            return
        }
        let (plan, newlyLooping) = withRestartBudget(prepared.plan)
        let runID = UUID().uuidString.lowercased()
        for server in newlyLooping {
            try? await recorder.recordCrashLoop(server: server, runID: runID, limit: budget.limit, window: budget.window)
            notify("crash_looping", revision: source.revision, server: server,
                   errors: ["restarted \(budget.limit) times within \(Int(budget.window)) s"])
        }
        var report = ApplyReport(results: [])
        let unrecorded = Unrecorded()
        if plan.hasChanges {
            let applier = Applier(engine: engine, secrets: secrets, concurrency: config.concurrency, recorder: recorder,
                                  routes: pipeline.routes, runID: runID, onEvent: { [metrics] event in
                                      if case .finished(let r) = event, r.kind == .build, r.outcome == .succeeded {
                                          metrics.observe("capstan_build_duration_seconds", [:], r.durationSeconds)
                                      }
                                      if case .recordFailed(let address, let reason) = event { unrecorded.add("\(address): \(reason)") }
                                  })
            report = await applier.apply(plan, archives: prepared.archives)
            if batch.contains(where: \.isDrift), report.succeeded {
                metrics.increment("capstan_drift_repairs_total", by: Double(report.results.count))
            }
        }
        // Every attempt is in the audit store, a no-op one too, with what triggered it. A record
        // that fails (the disk filled up during the apply) fails the reconcile, so that it is
        // reported and retried rather than lost in silence.
        var auditErrors = unrecorded.all.map { "the audit store could not record \($0)" }
        do {
            try await recorder.record(runID: runID, revision: plan.revision, trigger: triggerName, started: started,
                                      ended: now(), report: report)
        } catch {
            auditErrors.append("this run was not recorded: \(error)")
        }
        failures = report.succeeded && auditErrors.isEmpty ? 0 : failures + 1
        // Resources first: a status read between the two must never pair the new revision with
        // the resources observed before the apply.
        await refreshResources(source)
        if report.succeeded {
            lastApplied = plan.revision
            lastAppliedCommit = commit
            ready = true
        }
        let result = !auditErrors.isEmpty ? "audit_unavailable" : report.succeeded ? "succeeded" : "failed"
        finish(revision: plan.revision, commit: commit, trigger: triggerName, result: result,
               errors: report.failed.map { "\($0.address): \($0.outcome.message ?? $0.outcome.word)" } + auditErrors,
               started: started, changes: report.results.count)
    }

    /// Records the applier could not write; its events arrive on its own tasks.
    private final class Unrecorded: Sendable {
        private let items = Mutex<[String]>([])
        func add(_ item: String) { items.withLock { $0.append(item) } }
        var all: [String] { items.withLock { $0 } }
    }

    /// Drops restarts of servers that have spent their restart budget. A create or start (or the
    /// replace of a dead container) of a server this controller already ran is a restart; a
    /// changed spec gives the server a fresh budget.
    private func withRestartBudget(_ plan: Plan) -> (Plan, [String]) {
        guard lastApplied != nil else { return (plan, []) }  // the first converge restarts nothing
        var plan = plan
        var newlyLooping: [String] = []
        let at = now()
        plan.actions = plan.actions.map { action in
            guard action.address.hasPrefix("server.") else { return action }
            let server = String(action.address.dropFirst("server.".count))
            let desiredHash = action.after?.specHash
            let specChanged = action.kind == .replace && action.before?.specHash != desiredHash
            if specChanged { budget.reset(server) }
            let isRestart = action.kind == .create || action.kind == .start
                || (action.kind == .replace && !specChanged)
            let wasLooping = budget.isCrashLooping(server, specHash: desiredHash ?? "")
            guard isRestart, !budget.allowRestart(of: server, specHash: desiredHash ?? "", at: at) else { return action }
            if !wasLooping { newlyLooping.append(server) }
            return PlannedAction(address: action.address, kind: .noop,
                                 reason: "crash-looping; left alone until its spec changes or `capstan sync --server \(server)`",
                                 before: action.before, after: action.after)
        }
        return (plan, newlyLooping)
    }

    private func refreshResources(_ source: ManifestSource) async {
        guard let prepared = try? await pipeline.prepare(source) else { return }
        let looping = budget.crashLoopingServers
        let at = now()
        resources = zip(StatusReport(plan: prepared.plan).rows, prepared.plan.actions).map { row, action in
            let server = row.address.hasPrefix("server.") ? String(row.address.dropFirst("server.".count)) : ""
            return ControllerStatus.Resource(address: row.address, desired: row.desired, observed: row.observed,
                                             inSync: row.inSync, pending: row.pending, crashLooping: looping.contains(server),
                                             desiredImage: action.after?.image, observedImage: action.before?.image,
                                             desiredSpecHash: action.after?.specHash, observedSpecHash: action.before?.specHash,
                                             restarts: budget.restartCount(of: server, at: at))
        }
        let counts = Dictionary(grouping: resources) { $0.crashLooping ? "crash_looping" : $0.inSync ? "in_sync" : "drifted" }
        for state in ["in_sync", "drifted", "crash_looping"] {
            metrics.set("capstan_resources", ["state": state], to: Double(counts[state]?.count ?? 0))
        }
    }

    private static func commit(_ info: CommitInfo) -> ControllerStatus.Commit {
        ControllerStatus.Commit(revision: info.id.description, summary: info.summary, author: info.authorName,
                                authoredAt: Date(timeIntervalSince1970: TimeInterval(info.authorTime)))
    }

    private func finish(revision: String?, commit: ControllerStatus.Commit?, trigger: String, result: String, errors: [String],
                        started: Date, changes: Int = 0) {
        lastAttempt = .init(revision: revision, trigger: trigger, at: started, result: result, errors: errors, commit: commit)
        config.log?(AttemptLog(line: Self.logLine(revision: revision, trigger: trigger, result: result, errors: errors, changes: changes),
                               failed: result != "succeeded", changes: changes))
        syncing = false
        hub.publish(.syncFinished(result: result, revision: revision))
        let nowHealthy = result == "succeeded"
        if nowHealthy != healthy {
            if !nowHealthy || healthy == false {
                notify(nowHealthy ? "recovered" : "sync_failed", revision: revision, server: nil, errors: errors)
            }
            healthy = nowHealthy
        }
        metrics.increment("capstan_reconciles_total", ["result": result])
        metrics.observe("capstan_reconcile_duration_seconds", ["result": result], now().timeIntervalSince(started))
    }

    /// One finished attempt, in words.
    public struct AttemptLog: Sendable {
        public var line: String
        public var failed: Bool
        public var changes: Int
    }

    static func logLine(revision: String?, trigger: String, result: String, errors: [String], changes: Int) -> String {
        let at = revision.map { " at \($0.prefix(12))" } ?? ""
        let what = result != "succeeded" ? "sync \(result)" : changes == 0 ? "in sync" : "applied \(changes) change\(changes == 1 ? "" : "s")"
        return "\(what)\(at) (\(trigger))" + (errors.isEmpty ? "" : ": " + errors.joined(separator: "; "))
    }

    /// Sent in the background: a slow receiver never holds up a reconcile.
    private func notify(_ event: String, revision: String?, server: String?, errors: [String]) {
        guard let notifier = config.notifier else { return }
        let payload = Notifier.Event(event: event, instance: instance, revision: revision, server: server, errors: errors, at: now())
        let metrics = self.metrics
        Task {
            let delivered = await notifier.send(payload)
            metrics.increment("capstan_notifications_total", ["event": event, "result": delivered ? "delivered" : "failed"])
        }
    }

    private static func describe(_ error: any Error) -> (String, [String]) {
        switch error as? PlanPipeline.Failure {
        case .invalid(let result)?:
            return ("invalid", result.diagnostics.map { "\($0.file):\($0.mark.line):\($0.mark.column): \($0.message)" })
        case .unplannable(let problems)?:
            return ("unplannable", problems.map(\.description))
        case .contextUnreadable(let project, let reason)?:
            return ("failed", ["project \(project): \(reason)"])
        case .engine(let message)?:
            return ("engine_error", [message])
        case .gateway(let message)?:
            return ("gateway_error", [message])
        case nil:
            return ("failed", [String(describing: error)])
        }
    }

    private static func describeMetrics(_ m: Metrics) {
        m.describe("capstan_reconciles_total", .counter, help: "Reconcile attempts by result.")
        m.describe("capstan_reconcile_duration_seconds", .histogram, help: "Reconcile duration by result.")
        m.describe("capstan_resources", .gauge, help: "Resources by state after the last reconcile.")
        m.describe("capstan_git_fetch_errors_total", .counter, help: "Failed fetches of the repository.")
        m.describe("capstan_webhook_requests_total", .counter, help: "Webhook requests by result.")
        m.describe("capstan_drift_repairs_total", .counter, help: "Actions taken to repair drift reported by Docker events.")
        m.describe("capstan_build_duration_seconds", .histogram, help: "Image build duration.")
        m.describe("capstan_notifications_total", .counter, help: "Outgoing notifications by event and delivery result.")
    }
}
