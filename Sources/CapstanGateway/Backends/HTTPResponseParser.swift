/// Reads HTTP/1.1 responses off a keep-alive connection as bytes arrive: the head, then the
/// body framed by `Content-Length`, chunked transfer coding, or the end of the connection.
/// Interim `1xx` responses are skipped.
struct HTTPResponseParser {
    struct Head: Equatable {
        var status: Int
        /// Names lowercased, in the order received.
        var headers: [(name: String, value: String)]

        func header(_ name: String) -> String? { headers.first { $0.name == name }?.value }

        var keepAlive: Bool { header("connection")?.lowercased().contains("close") != true }

        static func == (a: Head, b: Head) -> Bool {
            a.status == b.status && a.headers.elementsEqual(b.headers) { $0.name == $1.name && $0.value == $1.value }
        }
    }

    enum Event {
        case head(Head)
        case body(UnsafeRawBufferPointer)
        case end
    }

    struct Malformed: Error, Equatable {
        var reason: String
    }

    static let maximumHeadLength = 64 << 10

    private enum Phase {
        case head
        case fixed(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case untilClose
    }

    private var phase: Phase = .head
    /// A head or a chunk-size/trailer line being collected.
    private var line: [UInt8] = []

    /// True between responses, where the end of the connection is no error.
    var isBetweenResponses: Bool {
        if case .head = phase { return line.isEmpty }
        return false
    }

    mutating func feed(_ bytes: UnsafeRawBufferPointer, emit: (Event) -> Void) throws(Malformed) {
        var index = 0
        while index < bytes.count {
            switch phase {
            case .head:
                // The head ends with an empty line; collect up to it.
                let byte = bytes[index]
                index += 1
                line.append(byte)
                if line.count > Self.maximumHeadLength { throw Malformed(reason: "response head too long") }
                if byte == 10, Self.endsWithBlankLine(line) {
                    let head = try Self.parseHead(line)
                    line.removeAll(keepingCapacity: true)
                    if (100..<200).contains(head.status) { continue }
                    emit(.head(head))
                    try startBody(head, emit: emit)
                }
            case .fixed(let remaining):
                let take = min(remaining, bytes.count - index)
                emit(.body(UnsafeRawBufferPointer(rebasing: bytes[index..<index + take])))
                index += take
                if take == remaining {
                    phase = .head
                    emit(.end)
                } else {
                    phase = .fixed(remaining: remaining - take)
                }
            case .chunkSize, .trailers:
                let byte = bytes[index]
                index += 1
                if byte != 10 {
                    line.append(byte)
                    if line.count > 4096 { throw Malformed(reason: "chunk line too long") }
                    continue
                }
                if line.last == 13 { line.removeLast() }
                if case .trailers = phase {
                    if line.isEmpty {
                        phase = .head
                        emit(.end)
                    }
                    line.removeAll(keepingCapacity: true)
                    continue
                }
                let text = String(decoding: line.prefix { $0 != UInt8(ascii: ";") }, as: UTF8.self)
                line.removeAll(keepingCapacity: true)
                guard let size = Int(Self.trimmed(text), radix: 16), size >= 0 else {
                    throw Malformed(reason: "bad chunk size")
                }
                phase = size == 0 ? .trailers : .chunkData(remaining: size)
            case .chunkData(let remaining):
                let take = min(remaining, bytes.count - index)
                emit(.body(UnsafeRawBufferPointer(rebasing: bytes[index..<index + take])))
                index += take
                phase = take == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - take)
            case .chunkDataEnd:
                // The CRLF after a chunk's data.
                let byte = bytes[index]
                index += 1
                if byte == 10 { phase = .chunkSize } else if byte != 13 { throw Malformed(reason: "chunk not followed by CRLF") }
            case .untilClose:
                emit(.body(UnsafeRawBufferPointer(rebasing: bytes[index...])))
                index = bytes.count
            }
        }
    }

    /// The connection ended. A body that runs until the close is complete now; anything else
    /// cut short is an error.
    mutating func finish(emit: (Event) -> Void) throws(Malformed) {
        switch phase {
        case .untilClose:
            phase = .head
            emit(.end)
        case .head where line.isEmpty:
            return
        default:
            throw Malformed(reason: "the connection closed in the middle of a response")
        }
    }

    private mutating func startBody(_ head: Head, emit: (Event) -> Void) throws(Malformed) {
        if head.status == 204 || head.status == 304 {
            emit(.end)
            return
        }
        if head.header("transfer-encoding")?.lowercased().contains("chunked") == true {
            phase = .chunkSize
        } else if let lengthText = head.header("content-length") {
            guard let length = Int(lengthText), length >= 0 else { throw Malformed(reason: "bad Content-Length") }
            if length == 0 {
                emit(.end)
            } else {
                phase = .fixed(remaining: length)
            }
        } else {
            phase = .untilClose
        }
    }

    static func parseHead(_ bytes: [UInt8]) throws(Malformed) -> Head {
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })[...]
        guard let statusLine = lines.popFirst() else { throw Malformed(reason: "empty response head") }
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw Malformed(reason: "not an HTTP/1.x response")
        }
        var headers: [(name: String, value: String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { throw Malformed(reason: "header line without a colon") }
            headers.append((line[..<colon].lowercased(), Self.trimmed(line[line.index(after: colon)...])))
        }
        return Head(status: status, headers: headers)
    }

    /// `\n\n` or `\r\n\r\n` at the end: the head is complete.
    static func endsWithBlankLine(_ line: [UInt8]) -> Bool {
        let n = line.count
        if n >= 2, line[n - 2] == 10 { return true }
        return n >= 4 && line[n - 2] == 13 && line[n - 3] == 10
    }

    static func trimmed(_ text: some StringProtocol) -> String {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        return String(text.drop(while: isBlank).reversed().drop(while: isBlank).reversed())
    }
}
