/// Undoes the engine's stream multiplexing for containers without a TTY: each frame is an
/// 8-byte header (stream: 0 stdin, 1 stdout, 2 stderr; three zero bytes; big-endian UInt32
/// payload length) followed by the payload. Containers with a TTY send raw bytes instead.
enum LogDemultiplexer {
    struct Frame: Equatable, Sendable {
        var stream: UInt8
        var payload: [UInt8]
    }

    static func frames(_ bytes: [UInt8]) -> [Frame] {
        var frames: [Frame] = []
        var index = 0
        while bytes.count - index >= 8 {
            let length = bytes[index + 4..<index + 8].reduce(0) { $0 << 8 | Int($1) }
            let start = index + 8
            // A log cut short (container removed mid-read) keeps what did arrive.
            let end = min(start + length, bytes.count)
            frames.append(Frame(stream: bytes[index], payload: Array(bytes[start..<end])))
            index = end
        }
        return frames
    }

    /// stdout and stderr interleaved in the order the engine wrote them.
    static func combined(_ bytes: [UInt8]) -> [UInt8] {
        frames(bytes).flatMap(\.payload)
    }
}
