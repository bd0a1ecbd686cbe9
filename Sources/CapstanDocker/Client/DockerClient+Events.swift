import Foundation
import Synchronization

extension DockerClient {
    /// The engine's events from `since` (default: only new ones) on, until the consuming task is
    /// cancelled or the stream is dropped; either aborts the underlying request at once.
    /// `labels` as for `listContainers`; `types` such as `container`, `image`.
    public func events(since: Date? = nil, labels: [String] = [],
                       types: [String] = []) -> AsyncThrowingStream<DockerEvent, any Error> {
        let query = Self.filters(["label": labels, "type": types]) + (since.map { [("since", Self.eventTime($0))] } ?? [])
        return AsyncThrowingStream { continuation in
            let task = Task {
                let lines = Mutex(LineBuffer())
                let decoder = JSONDecoder()
                do throws(DockerError) {
                    _ = try await self.send(.get, "/events", query: query) { chunk in
                        for line in lines.withLock({ $0.append(chunk) }) {
                            do {
                                continuation.yield(try decoder.decode(DockerEvent.self, from: Data(line)))
                            } catch {
                                // Ending the stream cancels this task, which aborts the request.
                                continuation.finish(throwing: DockerError.decoding(
                                    endpoint: "GET /events", reason: String(describing: error)))
                            }
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Seconds with a nanosecond fraction, as the engine parses `since`.
    static func eventTime(_ date: Date) -> String {
        let nanos = Int64((date.timeIntervalSince1970 * 1e9).rounded())
        return "\(nanos / 1_000_000_000)." + String(format: "%09lld", nanos % 1_000_000_000)
    }
}
