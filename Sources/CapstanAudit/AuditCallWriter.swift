import Foundation
import Synchronization

/// The gateway's way into the audit store: every tool call is recorded, none is dropped, and
/// many go into one transaction.
///
/// `record` queues the call and returns; one flusher task at a time writes whatever is queued,
/// up to `batchSize` calls per `append(contentsOf:)`, as soon as there is something to write
/// (no timer: under load batches grow by themselves while the previous one commits). When the
/// store falls behind, or fails, the queue fills; at `capacity` calls, `record` suspends until
/// a commit makes room, so the gateway slows down instead of losing rows or growing without
/// bound. A failed write keeps its calls and is retried with backoff until it succeeds;
/// `health` says what went wrong meanwhile.
///
/// Calls reach the store in the order `record` was called (a caller that finds the queue full
/// waits in line and is not overtaken), which is what lets `flush` count instead of tracking
/// rows.
public final class AuditCallWriter: Sendable {
    public struct Health: Sendable, Equatable {
        /// Calls recorded and not yet in the store: queued, being written, or held by callers
        /// waiting for room.
        public let pending: Int
        /// `record` calls suspended because the queue is full.
        public let waiting: Int
        /// Calls written since the writer was created.
        public let written: Int
        /// Why the last write failed; nil once a write succeeds again.
        public let lastError: AuditError?
    }

    private struct Waiter {
        let call: AuditToolCall
        let continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        /// Admitted, not yet taken by the flusher.
        var queue: [AuditToolCall] = []
        /// Taken by the flusher and not yet committed: still counts against `capacity`.
        var inFlight = 0
        /// Callers that found no room, each with its call, in arrival order.
        var waiters: [Waiter] = []
        var recorded = 0
        var written = 0
        /// `flush` callers, each waiting for `written` to reach the count it saw.
        var flushes: [(upTo: Int, continuation: CheckedContinuation<Void, Never>)] = []
        /// Running exactly while calls are queued or in flight.
        var flusher: Task<Void, Never>?
        var lastError: AuditError?
    }

    public let capacity: Int
    public let batchSize: Int
    private let store: AuditStore
    private let sleep: @Sendable (Duration) async -> Void
    private let state = Mutex(State())

    /// `sleep` waits out the backoff between failed writes; tests inject one that returns at once.
    public init(store: AuditStore, capacity: Int = 4096, batchSize: Int = 512,
                sleep: @escaping @Sendable (Duration) async -> Void = { try? await Task.sleep(for: $0) }) {
        precondition(capacity > 0 && batchSize > 0, "capacity and batchSize must be positive")
        self.store = store
        self.capacity = capacity
        self.batchSize = batchSize
        self.sleep = sleep
    }

    /// Queues `call` for the store, suspending first while the queue is full. Not cancellable:
    /// the call is the writer's from the moment this is called, and a cancelled caller still
    /// waits its turn, so that cancellation cannot be a way around the backpressure.
    public func record(_ call: AuditToolCall) async {
        if state.withLock({ admit(call, into: &$0) }) { return }
        await withCheckedContinuation { continuation in
            let admitted = state.withLock { state in
                // The flusher may have made room since the first look.
                if admit(call, into: &state) { return true }
                state.recorded += 1
                state.waiters.append(Waiter(call: call, continuation: continuation))
                return false
            }
            if admitted { continuation.resume() }
        }
    }

    /// Returns once every call recorded before it is in the store. While writes fail, that is
    /// when they succeed again.
    public func flush() async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state in
                guard state.written < state.recorded else { return true }
                state.flushes.append((state.recorded, continuation))
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Returns once the writer is idle: every call recorded so far, including during `close`,
    /// is in the store and no write is under way. The writer stays usable: a straggling call
    /// recorded afterwards is still written, not lost, but nobody waits for it.
    public func close() async {
        while let flusher = state.withLock({ $0.flusher }) {
            await flusher.value
        }
    }

    public var health: Health {
        state.withLock { state in
            Health(pending: state.recorded - state.written, waiting: state.waiters.count,
                   written: state.written, lastError: state.lastError)
        }
    }

    /// Waits after the nth failed write in a row: 50 ms, doubling, at most 2 s. A locked
    /// database has already cost SQLite's busy timeout by then; a full disk will not empty
    /// itself faster by being asked more often.
    static func backoff(afterFailures failures: Int) -> Duration {
        min(.milliseconds(50) * (1 << min(max(failures - 1, 0), 6)), .seconds(2))
    }

    /// Queues `call` when there is room and nobody is waiting (a newcomer must not overtake a
    /// waiting caller), starting the flusher if it is not running.
    private func admit(_ call: AuditToolCall, into state: inout State) -> Bool {
        guard state.waiters.isEmpty, state.queue.count + state.inFlight < capacity else { return false }
        state.recorded += 1
        state.queue.append(call)
        if state.flusher == nil {
            // Detached: the flusher belongs to the writer, not to whichever call started it.
            state.flusher = Task.detached { await self.drain() }
        }
        return true
    }

    private func drain() async {
        while let batch = state.withLock({ take(from: &$0) }) {
            let records = batch.map(AuditRecord.call)
            var failures = 0
            while true {
                do {
                    try await store.append(contentsOf: records)
                    break
                } catch {
                    failures += 1
                    let failure = AuditStore.auditError(error, path: store.path, operation: .append)
                    state.withLock { $0.lastError = failure }
                    await sleep(Self.backoff(afterFailures: failures))
                }
            }
            committed(batch.count)
        }
    }

    /// The next batch, or nil (and the flusher ends) when nothing is queued.
    private func take(from state: inout State) -> [AuditToolCall]? {
        guard !state.queue.isEmpty else {
            state.flusher = nil
            return nil
        }
        let batch = Array(state.queue.prefix(batchSize))
        state.queue.removeFirst(batch.count)
        state.inFlight = batch.count
        return batch
    }

    /// Lets waiting callers into the room the batch made, in order, and wakes the flushes it
    /// completed.
    private func committed(_ count: Int) {
        let resumed = state.withLock { state in
            state.inFlight = 0
            state.written += count
            state.lastError = nil
            let admitted = min(state.waiters.count, capacity - state.queue.count)
            var resumed = state.waiters.prefix(admitted).map(\.continuation)
            state.queue.append(contentsOf: state.waiters.prefix(admitted).map(\.call))
            state.waiters.removeFirst(admitted)
            resumed += state.flushes.filter { $0.upTo <= state.written }.map(\.continuation)
            state.flushes.removeAll { $0.upTo <= state.written }
            return resumed
        }
        for continuation in resumed { continuation.resume() }
    }
}
