import Dispatch
import Synchronization

/// Why a call ended without an answer. The backends retry the two that mean the server never
/// saw the request, and surface the rest.
enum CallFailure: Error, Sendable, Equatable {
    case failed(BackendError)
    /// The request was never sent: the session it was meant for was already over.
    case notSent
    /// The server no longer knows the session (HTTP 404): initialize again and resend.
    case sessionExpired
}

/// The requests a backend has in flight, keyed by the id the gateway gave them. Whoever learns
/// the outcome (the reader of the server's output, the deadline timer, the caller's
/// cancellation, the end of the session) takes the entry out under the lock and resumes its
/// continuation, so each call ends exactly once and the answer goes straight from the reader's
/// thread to the waiting task. Deadlines share one timer armed for the earliest of them: no
/// polling, no task or timer per call.
final class CallTable: Sendable {
    struct Call {
        let continuation: UnsafeContinuation<Result<JSONRPCMessage, CallFailure>, Never>
        let callerID: JSONValue
        let callerToken: JSONValue?
        let onNotification: @Sendable (JSONRPCMessage) -> Void
        /// The session the request went to; its end fails the call.
        let generation: Int
        let deadline: ContinuousClock.Instant
        let timeout: Duration
    }

    private struct State {
        var calls: [Int: Call] = [:]
        /// Sessions up to this one are over: nothing registers for them any more.
        var endedGeneration = 0
        var closed: BackendError?
        /// When the timer next fires; nil while disarmed.
        var alarm: ContinuousClock.Instant?
    }

    let server: String
    private let state = Mutex(State())
    private let timer: TimerBox

    init(server: String) {
        self.server = server
        timer = TimerBox(label: "capstan-backend-deadlines.\(server)")
        timer.setHandler { [weak self] in self?.expire() }
    }

    deinit { timer.cancel() }

    /// Registers call `id`, runs `transmit` to send it, and waits for the outcome. `transmit`
    /// runs after registration (an answer can never arrive before its entry) and returns a
    /// failure if the request could not be sent.
    func perform(id: Int, generation: Int, callerID: JSONValue, callerToken: JSONValue?, timeout: Duration,
                 onNotification: @escaping @Sendable (JSONRPCMessage) -> Void,
                 transmit: () -> CallFailure?) async -> Result<JSONRPCMessage, CallFailure> {
        let deadline = BackendCore.deadline(after: timeout)
        return await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in
                let refusal = state.withLock { state -> CallFailure? in
                    // Checked under the lock that the cancellation handler also takes: either
                    // this sees the cancellation, or the handler sees the entry.
                    if Task.isCancelled { return .failed(.cancelled) }
                    if let closed = state.closed { return .failed(closed) }
                    if generation <= state.endedGeneration { return .notSent }
                    state.calls[id] = Call(continuation: continuation, callerID: callerID, callerToken: callerToken,
                                           onNotification: onNotification, generation: generation,
                                           deadline: deadline, timeout: timeout)
                    if state.alarm.map({ deadline < $0 }) ?? true {
                        state.alarm = deadline
                        timer.schedule(at: deadline)
                    }
                    return nil
                }
                if let refusal {
                    continuation.resume(returning: .failure(refusal))
                } else if let failure = transmit() {
                    finish(id, .failure(failure))
                }
            }
        } onCancel: {
            finish(id, .failure(.failed(.cancelled)))
        }
    }

    /// Ends call `id`, if it is still waiting.
    func finish(_ id: Int, _ outcome: Result<JSONRPCMessage, CallFailure>) {
        guard let call = state.withLock({ $0.calls.removeValue(forKey: id) }) else { return }
        call.continuation.resume(returning: outcome)
    }

    /// Delivers the server's answer to call `id` under the caller's own id. False when nobody
    /// waits for it (it timed out, was cancelled, or is not ours).
    @discardableResult
    func answer(_ id: Int, _ message: JSONRPCMessage) -> Bool {
        guard let call = state.withLock({ $0.calls.removeValue(forKey: id) }) else { return false }
        call.continuation.resume(returning: .success(BackendMessages.restoring(message, callerID: call.callerID)))
        return true
    }

    /// Hands a progress notification to the caller whose request carries `token`, with the
    /// caller's own token restored. Runs the caller's handler on the current thread.
    func progress(token: Int, params: JSONObject) {
        let target = state.withLock { state -> (JSONValue, @Sendable (JSONRPCMessage) -> Void)? in
            guard let call = state.calls[token], let callerToken = call.callerToken else { return nil }
            return (callerToken, call.onNotification)
        }
        guard let (callerToken, handler) = target else { return }
        handler(BackendMessages.restoring(progress: params, callerToken: callerToken))
    }

    func isWaiting(_ id: Int) -> Bool { state.withLock { $0.calls[id] != nil } }

    /// A session is over: its calls fail now, and no call registers for it any more.
    func endGeneration(_ generation: Int, _ error: BackendError) {
        let failed = state.withLock { state -> [Call] in
            state.endedGeneration = max(state.endedGeneration, generation)
            let ended = state.calls.filter { $0.value.generation <= generation }
            for id in ended.keys { state.calls[id] = nil }
            return Array(ended.values)
        }
        for call in failed { call.continuation.resume(returning: .failure(.failed(error))) }
    }

    /// The backend is closed: every call fails, now and later.
    func close(_ error: BackendError) {
        let failed = state.withLock { state -> [Call] in
            state.closed = error
            defer { state.calls = [:] }
            return Array(state.calls.values)
        }
        timer.cancel()
        for call in failed { call.continuation.resume(returning: .failure(.failed(error))) }
    }

    private func expire() {
        let now = ContinuousClock.now
        let expired = state.withLock { state -> [Call] in
            var expired: [Call] = []
            var next: ContinuousClock.Instant?
            for (id, call) in state.calls {
                if call.deadline <= now {
                    expired.append(call)
                    state.calls[id] = nil
                } else if next.map({ call.deadline < $0 }) ?? true {
                    next = call.deadline
                }
            }
            state.alarm = next
            if let next { timer.schedule(at: next) }
            return expired
        }
        for call in expired {
            call.continuation.resume(returning: .failure(.failed(.timeout(server: server, after: call.timeout))))
        }
    }
}

/// One dispatch timer. Dispatch objects are thread-safe but not marked `Sendable`.
private final class TimerBox: @unchecked Sendable {
    private let source: DispatchSourceTimer

    init(label: String) {
        source = DispatchSource.makeTimerSource(queue: DispatchQueue(label: label))
        source.schedule(deadline: .distantFuture)
        source.activate()
    }

    func setHandler(_ handler: @escaping @Sendable () -> Void) { source.setEventHandler(handler: handler) }

    func schedule(at deadline: ContinuousClock.Instant) {
        let (seconds, attoseconds) = ContinuousClock.now.duration(to: deadline).components
        let nanoseconds = max(0, seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        source.schedule(deadline: .now() + .nanoseconds(Int(nanoseconds)), leeway: .milliseconds(1))
    }

    func cancel() { source.cancel() }
}
