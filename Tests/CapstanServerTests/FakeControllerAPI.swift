import CapstanReconciler
import Foundation

/// Records what the HTTP layer asks of the controller.
actor FakeControllerAPI: ControllerAPI {
    private(set) var triggers: [SyncTrigger] = []
    private(set) var webhookResults: [String] = []
    private var ready = false
    let statusValue: ControllerStatus
    let metrics: String

    init(
        status: ControllerStatus = FakeControllerAPI.sampleStatus,
        metrics: String = "# TYPE capstan_syncs_total counter\ncapstan_syncs_total 3\n"
    ) {
        self.statusValue = status
        self.metrics = metrics
    }

    func status() -> ControllerStatus { statusValue }
    func isReady() -> Bool { ready }
    func trigger(_ trigger: SyncTrigger) { triggers.append(trigger) }
    func metricsText() -> String { metrics }
    func recordWebhook(result: String) { webhookResults.append(result) }

    private var subscribers: [AsyncStream<ControllerEvent>.Continuation] = []
    func liveEvents() -> AsyncStream<ControllerEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: ControllerEvent.self)
        subscribers.append(continuation)
        return stream
    }
    var subscriberCount: Int { subscribers.count }
    func publish(_ event: ControllerEvent) { for s in subscribers { s.yield(event) } }
    func endEvents() { for s in subscribers { s.finish() } }

    func setReady(_ ready: Bool) { self.ready = ready }

    static let sampleStatus = ControllerStatus(
        instance: "prod",
        repository: "https://git.example.test/team/mcp.git",
        branch: "main",
        lastAppliedRevision: "0123456789abcdef0123456789abcdef01234567",
        lastAttempt: .init(
            revision: "0123456789abcdef0123456789abcdef01234567",
            trigger: "webhook",
            at: Date(timeIntervalSince1970: 1_767_225_600),  // 2026-01-01T00:00:00Z
            result: "applied",
            errors: []
        ),
        nextPoll: Date(timeIntervalSince1970: 1_767_225_660),
        resources: [
            .init(address: "server/time", desired: "running", observed: "running", inSync: true, pending: nil, crashLooping: false)
        ]
    )
}
