import Foundation
import Synchronization

/// A container's stdin, stdout and stderr over one hijacked connection to the engine, from
/// `DockerClient.attach`.
///
/// Output is read by a thread of the stream's own, blocked in `recv`: it hands every line to the
/// `start` handler the moment it arrives and notices the end of the stream (the container
/// exited, the engine went away) just as fast, without polling and without waiting for the next
/// write. Blocking reads on a dedicated thread keep the cooperative pool free and cost one
/// context switch per chunk; an event loop would save a thread per attached container, and a
/// gateway attaches to a handful.
///
/// Writes run on the caller's thread and do not wait for a lock during I/O (see
/// `AttachSocket.write`). A container that stops reading its stdin long enough to fill the
/// socket buffers makes a write fail after `sendTimeout`, which ends the stream.
public final class AttachedStream: Sendable {
    /// `POST /v<api>/containers/<id>/attach`, for errors.
    public let endpoint: String
    public let multiplexed: Bool
    static let sendTimeout: Duration = .seconds(10)

    private let socket: AttachSocket
    /// Bytes that arrived with the handshake's answer; the reader delivers them first.
    private let leftover: [UInt8]
    private let started = Atomic<Bool>(false)

    init(socket: AttachSocket, leftover: [UInt8], multiplexed: Bool) {
        self.socket = socket
        self.leftover = leftover
        self.multiplexed = multiplexed
        endpoint = socket.endpoint
        socket.setSendTimeout(Self.sendTimeout)
    }

    deinit { socket.release() }

    /// Starts reading. `line` gets each line of stdout or stderr without its newline (empty
    /// lines skipped) and `end` is called exactly once after the last line: with nil when the
    /// stream ended (the container stopped, or `close` was called) or with the error that broke
    /// it. Both are called on the stream's reader thread, so they should be quick. Output that
    /// arrives before `start` waits in the socket; calling `start` twice does nothing.
    public func start(line: @escaping @Sendable (AttachOutput, [UInt8]) -> Void,
                      end: @escaping @Sendable (DockerError?) -> Void) {
        guard !started.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let reader = Thread { [self] in
            end(self.read(line))
        }
        reader.name = "capstan-attach"
        reader.start()
    }

    /// Sends bytes to the container's stdin. Throws `.streamClosed` once the stream is over.
    public func write(_ bytes: [UInt8]) throws(DockerError) {
        try socket.write(bytes)
    }

    /// Ends the stream: the reader delivers what it already has and calls `end(nil)`. The
    /// container keeps running (its stdin stays open for the next attach unless it was created
    /// with `StdinOnce`). Safe to call more than once and from any thread.
    public func close() {
        if started.load(ordering: .acquiring) {
            socket.shutdown()
        } else {
            socket.release()
        }
    }

    /// The reader thread's loop; returns the error that ended it, nil for a plain end.
    private func read(_ emit: @Sendable (AttachOutput, [UInt8]) -> Void) -> DockerError? {
        guard socket.beginReading() else { return nil }
        defer { socket.endReading() }
        var decoder = AttachDecoder(multiplexed: multiplexed)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 16)
        defer { buffer.deallocate() }
        do throws(AttachDecoder.LineTooLong) {
            try leftover.withUnsafeBytes { bytes in
                Result { () throws(AttachDecoder.LineTooLong) in try decoder.feed(bytes, emit: emit) }
            }.get()
            while true {
                switch socket.receive(into: buffer) {
                case .success(0):
                    decoder.finish(emit: emit)
                    return nil
                case .success(let count):
                    try decoder.feed(UnsafeRawBufferPointer(rebasing: buffer[..<count]), emit: emit)
                case .failure(let error):
                    decoder.finish(emit: emit)
                    return error
                }
            }
        } catch {
            return .transport(endpoint: endpoint, reason: "the container wrote a line longer than \(AttachDecoder.maximumLineLength) bytes")
        }
    }
}
