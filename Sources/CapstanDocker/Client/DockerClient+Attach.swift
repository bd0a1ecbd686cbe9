import Foundation

extension DockerClient {
    /// Attaches to a container's stdin, stdout and stderr, for a long-lived conversation such as
    /// an MCP server's stdio. The container should have been created with `openStdin` (and
    /// without `stdinOnce`, so that a later attach finds stdin still open). Only output written
    /// after the attach is delivered, none of the container's earlier logs.
    ///
    /// `tty` must match the container's `Tty`: without one the engine multiplexes stdout and
    /// stderr (see `AttachDecoder`), with one it sends raw bytes.
    ///
    /// Call `start` on the result to receive output and `close` when done. Attaching to a
    /// container that is not running succeeds, and the stream ends at once.
    public func attach(_ idOrName: String, tty: Bool = false) async throws(DockerError) -> AttachedStream {
        let api = try await negotiated().api
        let path = "/v\(api)/containers/\(Self.segment(idOrName))/attach"
        let endpoint = "POST \(path)"
        if Task.isCancelled { throw .cancelled(endpoint: endpoint) }
        let socket = try AttachSocket.connect(to: host, endpoint: endpoint)
        let request = AttachHandshake.request(path: path, host: host)
        // The handshake blocks on the engine's answer, so it gets a thread of its own, as every
        // other engine request does (HTTPTransport); cancelling shuts the socket, which ends it.
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<[UInt8], DockerError>, Never>) in
                let worker = Thread {
                    continuation.resume(returning: AttachHandshake.perform(on: socket, request: request))
                }
                worker.name = "capstan-attach-handshake"
                worker.start()
            }
        } onCancel: {
            socket.shutdown()
        }
        switch result {
        case .success(let leftover):
            if Task.isCancelled {
                socket.release()
                throw .cancelled(endpoint: endpoint)
            }
            return AttachedStream(socket: socket, leftover: leftover, multiplexed: !tty)
        case .failure(let error):
            socket.release()
            throw Task.isCancelled ? .cancelled(endpoint: endpoint) : error
        }
    }
}
