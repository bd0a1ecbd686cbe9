/// Which of a container's output streams a line came from.
public enum AttachOutput: Sendable, Equatable {
    case stdout
    case stderr
}

/// Turns the bytes of an attach stream into lines, chunk by chunk as they arrive. Without a TTY
/// the engine multiplexes stdout and stderr into frames (an 8-byte header: stream, three zero
/// bytes, big-endian UInt32 length; then the payload); with a TTY everything is raw stdout. A
/// chunk boundary can fall anywhere: inside a header, a payload or a line.
struct AttachDecoder {
    /// Longer lines are a broken or hostile peer, not a message: the stream fails instead of
    /// buffering without bound.
    static let maximumLineLength = 64 << 20

    struct LineTooLong: Error {}

    let multiplexed: Bool
    private var header: [UInt8] = []
    private var stream: AttachOutput = .stdout
    private var payloadRemaining = 0
    private var stdoutLine: [UInt8] = []
    private var stderrLine: [UInt8] = []

    init(multiplexed: Bool) {
        self.multiplexed = multiplexed
        header.reserveCapacity(8)
    }

    /// Calls `emit` for every line that `chunk` completes, without its newline; empty lines are
    /// skipped.
    mutating func feed(_ chunk: UnsafeRawBufferPointer, emit: (AttachOutput, [UInt8]) -> Void) throws(LineTooLong) {
        guard multiplexed else {
            try split(chunk, into: .stdout, emit: emit)
            return
        }
        var index = 0
        while index < chunk.count {
            if payloadRemaining == 0 {
                // Collecting a header; zero-length frames carry nothing.
                let take = min(8 - header.count, chunk.count - index)
                header.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[index..<index + take]))
                index += take
                if header.count == 8 {
                    // Stream 0 (stdin) never comes back without a TTY; docker's own demultiplexer
                    // treats it as stdout, and so does this one.
                    stream = header[0] == 2 ? .stderr : .stdout
                    payloadRemaining = header[4...7].reduce(0) { $0 << 8 | Int($1) }
                    header.removeAll(keepingCapacity: true)
                }
                continue
            }
            let take = min(payloadRemaining, chunk.count - index)
            try split(UnsafeRawBufferPointer(rebasing: chunk[index..<index + take]), into: stream, emit: emit)
            payloadRemaining -= take
            index += take
        }
    }

    /// Lines that never got their newline, at the end of the stream.
    mutating func finish(emit: (AttachOutput, [UInt8]) -> Void) {
        if !stdoutLine.isEmpty { emit(.stdout, stdoutLine) }
        if !stderrLine.isEmpty { emit(.stderr, stderrLine) }
        stdoutLine = []
        stderrLine = []
    }

    private mutating func split(_ bytes: UnsafeRawBufferPointer, into output: AttachOutput,
                                emit: (AttachOutput, [UInt8]) -> Void) throws(LineTooLong) {
        var start = 0
        while let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
            let piece = UnsafeRawBufferPointer(rebasing: bytes[start..<newline])
            switch output {
            case .stdout: try Self.complete(piece, pending: &stdoutLine, output: output, emit: emit)
            case .stderr: try Self.complete(piece, pending: &stderrLine, output: output, emit: emit)
            }
            start = newline + 1
        }
        guard start < bytes.count else { return }
        let rest = UnsafeRawBufferPointer(rebasing: bytes[start...])
        switch output {
        case .stdout: try Self.append(rest, to: &stdoutLine)
        case .stderr: try Self.append(rest, to: &stderrLine)
        }
    }

    // Static, not instance methods: an instance method called with `&self.line` inout would
    // read a copy of `self`, keeping a second reference to the line, so every append copied
    // the whole line so far (quadratic in debug builds).
    private static func complete(_ piece: UnsafeRawBufferPointer, pending: inout [UInt8], output: AttachOutput,
                          emit: (AttachOutput, [UInt8]) -> Void) throws(LineTooLong) {
        if pending.isEmpty {
            // The common case, a whole line inside one chunk: one copy, straight out.
            if !piece.isEmpty { emit(output, Array(piece)) }
            return
        }
        try Self.append(piece, to: &pending)
        emit(output, pending)
        pending = []
    }

    private static func append(_ piece: UnsafeRawBufferPointer, to pending: inout [UInt8]) throws(LineTooLong) {
        guard pending.count + piece.count <= Self.maximumLineLength else { throw LineTooLong() }
        pending.append(contentsOf: piece)
    }
}
