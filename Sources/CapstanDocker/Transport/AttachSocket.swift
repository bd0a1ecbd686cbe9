#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The connection under an attach stream: a plain stream socket to the engine, because libcurl
/// cannot hand over a connection after the engine hijacks it. It owns the descriptor and keeps
/// it open while anyone may still use it: a reader blocked in `read`, a writer in `send`.
/// `shutdown` is safe at any time and wakes both; the descriptor itself is closed by whoever
/// leaves last, so a number the kernel reuses is never read, written or shut down by mistake.
final class AttachSocket: Sendable {
    let descriptor: Int32
    let endpoint: String

    private struct State {
        var shutDown = false
        var closed = false
        var readerActive = false
        var writerActive = false
        /// Bytes queued by writers that found another writer busy; it sends them in order.
        var queued: [UInt8] = []
    }

    private let state = Mutex(State())

    private init(descriptor: Int32, endpoint: String) {
        self.descriptor = descriptor
        self.endpoint = endpoint
    }

    deinit {
        state.withLock { if !$0.closed { _ = Glibc.close(descriptor) } }
    }

    /// Connects to the engine's socket. Connecting to a local socket does not wait on anything
    /// but the kernel, so this may run on any thread.
    static func connect(to host: DockerHost, endpoint: String) throws(DockerError) -> AttachSocket {
        switch host {
        case .unix(let path):
            let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard descriptor >= 0 else { throw .transport(endpoint: endpoint, reason: "socket: \(errorText())") }
            let stream = AttachSocket(descriptor: descriptor, endpoint: endpoint)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
                throw .transport(endpoint: endpoint, reason: "the socket path is too long")
            }
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                raw.copyBytes(from: bytes)
                raw[bytes.count] = 0
            }
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            guard result == 0 else {
                throw .transport(endpoint: endpoint, reason: "cannot connect to \(path): \(errorText())")
            }
            return stream
        case .tcp(let name, let port):
            var hints = addrinfo()
            hints.ai_family = AF_UNSPEC
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            hints.ai_flags = AI_NUMERICSERV
            var list: UnsafeMutablePointer<addrinfo>?
            // DockerHost admits only loopback names, so this never leaves the machine.
            let resolved = getaddrinfo(name, String(port), &hints, &list)
            guard resolved == 0 else {
                throw .transport(endpoint: endpoint, reason: "cannot resolve \(name): \(String(cString: gai_strerror(resolved)))")
            }
            defer { freeaddrinfo(list) }
            var failure = "no address for \(name)"
            var next = list
            while let address = next?.pointee {
                next = address.ai_next
                let descriptor = socket(address.ai_family, address.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), address.ai_protocol)
                guard descriptor >= 0 else {
                    failure = errorText()
                    continue
                }
                let stream = AttachSocket(descriptor: descriptor, endpoint: endpoint)
                if Glibc.connect(descriptor, address.ai_addr, address.ai_addrlen) == 0 {
                    var one: Int32 = 1
                    setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                    return stream
                }
                failure = errorText()
            }
            throw .transport(endpoint: endpoint, reason: "cannot connect to \(name):\(port): \(failure)")
        }
    }

    /// Bounds every blocking receive (nil: no bound); the handshake uses it so a silent engine
    /// cannot hold an attach for ever.
    func setReceiveTimeout(_ duration: Duration?) {
        setTimeout(SO_RCVTIMEO, duration)
    }

    func setSendTimeout(_ duration: Duration?) {
        setTimeout(SO_SNDTIMEO, duration)
    }

    private func setTimeout(_ option: Int32, _ duration: Duration?) {
        let (seconds, attoseconds) = (duration ?? .zero).components
        var value = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        setsockopt(descriptor, SOL_SOCKET, option, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Wakes a blocked reader and writer and refuses further writes. Idempotent.
    func shutdown() {
        state.withLock { shutDown(&$0) }
    }

    var isShutDown: Bool { state.withLock { $0.shutDown } }

    /// Marks the start of the (single) reader's use of the descriptor; false when the socket is
    /// already shut down, and then the reader must not touch it.
    func beginReading() -> Bool {
        state.withLock { state in
            guard !state.shutDown, !state.closed else { return false }
            state.readerActive = true
            return true
        }
    }

    /// The reader is done: the stream is over for writers too.
    func endReading() {
        state.withLock { state in
            state.readerActive = false
            shutDown(&state)
            closeIfUnused(&state)
        }
    }

    /// Shuts down and closes the descriptor as soon as nobody uses it; for a stream that never
    /// got a reader (a failed handshake, `close` before `start`) that is at once.
    func release() {
        state.withLock { state in
            shutDown(&state)
            closeIfUnused(&state)
        }
    }

    private func shutDown(_ state: inout State) {
        guard !state.shutDown, !state.closed else { return }
        state.shutDown = true
        _ = Glibc.shutdown(descriptor, Int32(SHUT_RDWR))
    }

    private func closeIfUnused(_ state: inout State) {
        guard state.shutDown, !state.readerActive, !state.writerActive, !state.closed else { return }
        state.closed = true
        _ = Glibc.close(descriptor)
    }

    /// Sends all of `bytes`. Concurrent writers never interleave: one of them sends, the others
    /// queue their bytes behind it and return at once, so no lock is held during `send` and
    /// bursts coalesce into fewer system calls. A failure shuts the socket down, which the
    /// reader sees at once.
    func write(_ bytes: [UInt8]) throws(DockerError) {
        let mine = state.withLock { state -> Bool? in
            if state.shutDown || state.closed { return nil }
            if state.writerActive {
                state.queued.append(contentsOf: bytes)
                return false
            }
            state.writerActive = true
            return true
        }
        guard let mine else { throw .streamClosed(endpoint: endpoint) }
        guard mine else { return }
        var batch = bytes
        while true {
            if let failure = sendAll(batch) {
                state.withLock { state in
                    state.writerActive = false
                    state.queued = []
                    shutDown(&state)
                    closeIfUnused(&state)
                }
                throw failure
            }
            let more = state.withLock { state -> Bool in
                if state.queued.isEmpty || state.shutDown {
                    state.writerActive = false
                    state.queued = []
                    closeIfUnused(&state)
                    return false
                }
                swap(&batch, &state.queued)
                state.queued.removeAll(keepingCapacity: true)
                return true
            }
            guard more else { return }
        }
    }

    private func sendAll(_ bytes: [UInt8]) -> DockerError? {
        bytes.withUnsafeBytes { buffer -> DockerError? in
            var offset = 0
            while offset < buffer.count {
                // MSG_NOSIGNAL: a peer that hung up is an error here, not a SIGPIPE for the process.
                let sent = send(descriptor, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
                if sent > 0 {
                    offset += sent
                } else if sent < 0, errno == EINTR {
                    continue
                } else if sent < 0, errno == EPIPE || errno == ECONNRESET || errno == ESHUTDOWN {
                    return .streamClosed(endpoint: endpoint)
                } else if sent < 0, errno == EAGAIN || errno == EWOULDBLOCK {
                    return .transport(endpoint: endpoint, reason: "the container has not read its input for too long")
                } else {
                    return .transport(endpoint: endpoint, reason: "send: \(Self.errorText())")
                }
            }
            return nil
        }
    }

    /// One blocking receive: the count read, 0 at end of stream, or the error.
    func receive(into buffer: UnsafeMutableRawBufferPointer) -> Result<Int, DockerError> {
        while true {
            let count = recv(descriptor, buffer.baseAddress, buffer.count, 0)
            if count >= 0 { return .success(count) }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK {
                return .failure(.transport(endpoint: endpoint, reason: "the engine did not answer in time"))
            }
            // After our own shutdown some kernels report an error instead of end of stream.
            if isShutDown { return .success(0) }
            return .failure(.transport(endpoint: endpoint, reason: "recv: \(Self.errorText())"))
        }
    }

    static func errorText() -> String { String(cString: strerror(errno)) }
}
