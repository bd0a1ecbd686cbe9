import Synchronization

/// Fans the controller's events out to every open dashboard. A slow subscriber loses the oldest
/// events it has not read (the page redraws from the current state anyway); it never holds up a
/// reconcile.
final class EventHub: Sendable {
    private let subscribers = Mutex<[Int: AsyncStream<ControllerEvent>.Continuation]>([:])
    private let nextID = Atomic<Int>(0)

    func subscribe() -> AsyncStream<ControllerEvent> {
        let id = nextID.add(1, ordering: .relaxed).newValue
        let (stream, continuation) = AsyncStream.makeStream(of: ControllerEvent.self, bufferingPolicy: .bufferingNewest(32))
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.removeValue(forKey: id) }
        }
        subscribers.withLock { $0[id] = continuation }
        return stream
    }

    func publish(_ event: ControllerEvent) {
        for continuation in subscribers.withLock({ Array($0.values) }) { continuation.yield(event) }
    }

    /// Ends every stream, so that HTTP responses streaming them can finish at shutdown.
    func finishAll() {
        for continuation in subscribers.withLock({ Array($0.values) }) { continuation.finish() }
    }
}
