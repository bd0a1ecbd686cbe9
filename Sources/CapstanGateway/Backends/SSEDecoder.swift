/// Server-sent events, decoded as the bytes arrive (the WHATWG event-stream format): `data:`
/// lines joined by newlines make an event's data, a blank line dispatches it, comments (`:`)
/// and the other fields are skipped. MCP sends one JSON-RPC message per event; events with no
/// data (a 2025-11-25 server's priming event) are not dispatched.
struct SSEDecoder {
    static let maximumEventLength = 64 << 20

    struct TooLong: Error {}

    private var line: [UInt8] = []
    private var data: [UInt8] = []
    private var hasData = false
    /// A CR ended the last line; a LF right after it belongs to that line end.
    private var afterCR = false

    mutating func feed(_ bytes: UnsafeRawBufferPointer, emit: ([UInt8]) -> Void) throws(TooLong) {
        for byte in bytes {
            if afterCR {
                afterCR = false
                if byte == 10 { continue }
            }
            if byte == 10 || byte == 13 {
                afterCR = byte == 13
                try endOfLine(emit: emit)
            } else {
                line.append(byte)
                if line.count > Self.maximumEventLength { throw TooLong() }
            }
        }
    }

    private mutating func endOfLine(emit: ([UInt8]) -> Void) throws(TooLong) {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            if hasData { emit(data) }
            data.removeAll(keepingCapacity: true)
            hasData = false
            return
        }
        guard line.first != UInt8(ascii: ":") else { return }
        let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? line.count
        guard line[..<colon].elementsEqual("data".utf8) else { return }
        var valueStart = min(colon + 1, line.count)
        if valueStart < line.count, line[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
        if hasData { data.append(10) }
        data.append(contentsOf: line[valueStart...])
        hasData = true
        if data.count > Self.maximumEventLength { throw TooLong() }
    }
}
