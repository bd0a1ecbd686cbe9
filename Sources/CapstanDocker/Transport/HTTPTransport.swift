import Foundation

/// Bridges blocking libcurl transfers into async code. Each request gets a thread of its own,
/// so N requests really run at once and a long one (a build, a wait, an event stream) never
/// holds a thread of Swift's cooperative pool.
struct HTTPTransport: Sendable {
    let host: DockerHost

    /// Sends `request`. With `sink`, a 2xx body is delivered to it chunk by chunk as it arrives
    /// (on the worker thread) and the returned body is empty.
    func send(_ request: HTTPRequest,
              sink: (@Sendable ([UInt8]) -> Void)? = nil) async throws(DockerError) -> HTTPResponse {
        if Task.isCancelled { throw .cancelled(endpoint: request.endpoint) }
        let cancellation = TransferCancellation()
        let host = host
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<HTTPResponse, DockerError>, Never>) in
                let worker = Thread {
                    continuation.resume(returning: Transfer.run(request, host: host, sink: sink, cancellation: cancellation))
                }
                worker.name = "capstan-docker"
                worker.start()
            }
        } onCancel: {
            cancellation.cancel()
        }
        return try result.get()
    }
}
