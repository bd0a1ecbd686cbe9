import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Newline-delimited messages out of a byte stream, as MCP's stdio transport frames them: a
/// line ends at LF (a CR before it is dropped), blank lines are skipped, and a line longer than
/// `maximumLength` is dropped whole and reported.
struct LineSplitter {
    enum Line: Equatable {
        case line([UInt8])
        case tooLong
    }

    let maximumLength: Int
    private var pending: [UInt8] = []
    private var overflowed = false

    init(maximumLength: Int = 64 << 20) { self.maximumLength = maximumLength }

    mutating func feed(_ bytes: some Collection<UInt8>, emit: (Line) -> Void) {
        for byte in bytes {
            if byte == 10 {
                if overflowed {
                    emit(.tooLong)
                } else {
                    if pending.last == 13 { pending.removeLast() }
                    if pending.contains(where: { !Self.isBlank($0) }) { emit(.line(pending)) }
                }
                pending.removeAll(keepingCapacity: true)
                overflowed = false
            } else if !overflowed {
                pending.append(byte)
                if pending.count > maximumLength {
                    overflowed = true
                    pending = []
                }
            }
        }
    }

    /// The stream ended: a last line without its LF still counts.
    mutating func finish(emit: (Line) -> Void) {
        feed([10], emit: emit)
    }

    private static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D }
}

/// Reads lines from a file descriptor (the app's end of stdin) on a thread of its own, so the
/// blocking `read` never holds a thread of the cooperative pool.
enum LineReader {
    static func start(descriptor: Int32, onLine: @escaping @Sendable (LineSplitter.Line) -> Void,
                      onEnd: @escaping @Sendable () -> Void) {
        let thread = Thread {
            var splitter = LineSplitter()
            var buffer = [UInt8](repeating: 0, count: 64 << 10)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                if count <= 0 { break }
                splitter.feed(buffer[..<count], emit: onLine)
            }
            splitter.finish(emit: onLine)
            onEnd()
        }
        thread.name = "capstan-bridge-stdin"
        thread.start()
    }
}

/// Writes lines to a file descriptor (stdout) in the order they are queued, on a thread of its
/// own: an app that is slow to read blocks that thread, not the callers.
final class LineWriter: Sendable {
    private struct State {
        var queue: [[UInt8]] = []
        var writing = false
        var broken = false
    }

    private let descriptor: Int32
    private let state = Mutex(State())
    private let ready = DispatchSemaphore(value: 0)
    private let onBroken = Mutex<(@Sendable () -> Void)?>(nil)

    init(descriptor: Int32) {
        self.descriptor = descriptor
        let thread = Thread { [self] in self.run() }
        thread.name = "capstan-bridge-stdout"
        thread.start()
    }

    /// Queues one message as one line.
    func write(_ message: JSONValue) {
        var line = message.bytes
        line.append(10)
        let queued = state.withLock { state -> Bool in
            guard !state.broken else { return false }
            state.queue.append(line)
            return true
        }
        if queued { ready.signal() }
    }

    /// `handler` runs once if the descriptor stops taking data (the app closed it).
    func whenBroken(_ handler: @escaping @Sendable () -> Void) {
        onBroken.withLock { $0 = handler }
    }

    /// Waits until everything queued so far is written, or `deadline` passes.
    func flush(until deadline: ContinuousClock.Instant) async {
        while ContinuousClock.now < deadline {
            let idle = state.withLock { $0.broken || ($0.queue.isEmpty && !$0.writing) }
            if idle { return }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    private func run() {
        while true {
            ready.wait()
            let lines = state.withLock { state -> [[UInt8]] in
                defer { state.queue = [] }
                state.writing = !state.queue.isEmpty
                return state.queue
            }
            for line in lines where !writeAll(line) {
                state.withLock {
                    $0.broken = true
                    $0.queue = []
                }
                onBroken.withLock { $0 }?()
                return
            }
            state.withLock { $0.writing = false }
        }
    }

    private func writeAll(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written > 0 { offset += written } else if written < 0, errno == EINTR { continue } else { return false }
            }
            return true
        }
    }
}
