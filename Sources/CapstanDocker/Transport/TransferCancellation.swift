import Synchronization

/// Shared by the task awaiting a request (which may cancel it) and the worker thread running
/// curl. Cancelling wakes the thread's `curl_multi_poll`, so the transfer stops at once.
final class TransferCancellation: Sendable {
    private struct State {
        var cancelled = false
        var waker: CurlMulti.Waker?
    }

    private let state = Mutex(State())

    var isCancelled: Bool { state.withLock { $0.cancelled } }

    func cancel() {
        state.withLock { state in
            state.cancelled = true
            state.waker?.wakeUp()
        }
    }

    /// Called by the worker thread for the duration of the transfer; detaching under the lock
    /// guarantees `cancel` never wakes a multi handle that is being cleaned up.
    func whileAttached<T>(_ multi: CurlMulti, _ body: () throws(CurlFailure) -> T) throws(CurlFailure) -> T {
        let waker = multi.waker
        state.withLock { $0.waker = waker }
        defer { state.withLock { $0.waker = nil } }
        return try body()
    }
}
