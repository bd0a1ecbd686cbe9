import Synchronization

/// One value that many tasks wait for, each with its own deadline, any of which may give up
/// (time out, be cancelled) without disturbing the producer or the others. A backend's
/// connection attempt is one: every call that arrives while it runs waits for the same session.
final class Rendezvous<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var waiters: [Int: UnsafeContinuation<Value?, Never>] = [:]
        var nextKey = 0
    }

    private let state = Mutex(State())

    func fulfill(_ value: Value) {
        let waiters = state.withLock { state -> [UnsafeContinuation<Value?, Never>] in
            state.value = value
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: value) }
    }

    /// The value, or nil when `deadline` passes or the task is cancelled first.
    func value(until deadline: ContinuousClock.Instant) async -> Value? {
        if let value = state.withLock({ $0.value }) { return value }
        return await withTaskGroup(of: Value?.self) { group in
            group.addTask { await self.wait() }
            group.addTask {
                try? await Task.sleep(until: deadline, clock: .continuous)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    private func wait() async -> Value? {
        let key = state.withLock { state -> Int in
            state.nextKey += 1
            return state.nextKey
        }
        return await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in
                let immediate = state.withLock { state -> Value?? in
                    if let value = state.value { return .some(value) }
                    if Task.isCancelled { return .some(nil) }
                    state.waiters[key] = continuation
                    return .none
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: key) }?.resume(returning: nil)
        }
    }
}
