/// Splits a byte stream into newline-terminated lines as chunks arrive. The engine's streaming
/// endpoints (build, events) send one JSON document per line, but a chunk boundary can fall
/// anywhere, mid-line included.
struct LineBuffer: Sendable {
    private var pending: [UInt8] = []

    /// The complete, non-empty lines that `chunk` finishes, without their newline.
    mutating func append(_ chunk: [UInt8]) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        for byte in chunk {
            if byte == UInt8(ascii: "\n") {
                if !pending.isEmpty { lines.append(pending) }
                pending.removeAll(keepingCapacity: true)
            } else {
                pending.append(byte)
            }
        }
        return lines
    }

    /// A last line that never got its newline.
    mutating func finish() -> [UInt8]? {
        defer { pending = [] }
        return pending.isEmpty ? nil : pending
    }
}
