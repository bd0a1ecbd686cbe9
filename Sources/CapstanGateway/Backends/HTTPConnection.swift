import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// What one request on a connection receives, on the connection's reader thread, in order:
/// `head`, any number of `body` chunks, then `end` exactly once.
protocol HTTPExchange: AnyObject, Sendable {
    func head(_ head: HTTPResponseParser.Head)
    func body(_ bytes: UnsafeRawBufferPointer)
    /// nil when the response is complete, else why it was cut short.
    func end(_ failure: String?)
}

/// One keep-alive HTTP/1.1 connection to a loopback server, with a reader thread of its own
/// blocked in `recv`: a response is parsed as it arrives and handed to the exchange in flight,
/// and a server that goes away is noticed at once, between requests too. One exchange at a
/// time (no pipelining); when a response is complete the connection reports itself idle to
/// whoever pooled it.
final class HTTPConnection: Sendable {
    enum Begin { case sent, closed }

    struct ConnectFailure: Error {
        var reason: String
    }

    private struct State {
        var exchange: (any HTTPExchange)?
        var shutDown = false
        var closed = false
        var readerActive = true
        var writerActive = false
        var idleSince = ContinuousClock.now
    }

    private let descriptor: Int32
    private let state = Mutex(State())
    private let onIdle: @Sendable (HTTPConnection) -> Void

    private init(descriptor: Int32, onIdle: @escaping @Sendable (HTTPConnection) -> Void) {
        self.descriptor = descriptor
        self.onIdle = onIdle
    }

    /// Connects (loopback: the kernel answers at once) and starts the reader.
    static func open(_ endpoint: LoopbackEndpoint,
                     onIdle: @escaping @Sendable (HTTPConnection) -> Void) -> Result<HTTPConnection, ConnectFailure> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(endpoint.host, String(endpoint.port), &hints, &list)
        guard resolved == 0 else {
            return .failure(ConnectFailure(reason: "cannot resolve \(endpoint.host): \(String(cString: gai_strerror(resolved)))"))
        }
        defer { freeaddrinfo(list) }
        var failure = "no address for \(endpoint.host)"
        var next = list
        while let address = next?.pointee {
            next = address.ai_next
            let descriptor = socket(address.ai_family, address.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), address.ai_protocol)
            guard descriptor >= 0 else {
                failure = String(cString: strerror(errno))
                continue
            }
            guard Glibc.connect(descriptor, address.ai_addr, address.ai_addrlen) == 0 else {
                failure = String(cString: strerror(errno))
                Glibc.close(descriptor)
                continue
            }
            var one: Int32 = 1
            setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            // A server that stops reading its requests must not hold a caller's thread for ever.
            var limit = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
            let connection = HTTPConnection(descriptor: descriptor, onIdle: onIdle)
            let reader = Thread { connection.read() }
            reader.name = "capstan-http-backend"
            reader.start()
            return .success(connection)
        }
        return .failure(ConnectFailure(reason: "cannot connect to \(endpoint.authority): \(failure)"))
    }

    /// Idle and open, not idle for so long that the server may be closing it right now, and not
    /// already closed by the server: its reader thread may not have run yet (a loaded machine), and
    /// a request written after the server's FIN is lost, where on a new connection it would arrive.
    func isReusable(idleLimit: Duration) -> Bool {
        state.withLock { state in
            // Under the lock, so the descriptor cannot be closed (and reused) while it is polled.
            !state.shutDown && state.exchange == nil && ContinuousClock.now - state.idleSince < idleLimit
                && !Self.peerClosed(descriptor)
        }
    }

    /// The other end has shut down its side or reset the connection; nothing is consumed.
    static func peerClosed(_ descriptor: Int32) -> Bool {
        var entry = pollfd(fd: descriptor, events: pollReadHangUp, revents: 0)
        guard poll(&entry, 1, 0) > 0 else { return false }
        return entry.revents & (pollReadHangUp | Int16(POLLHUP) | Int16(POLLERR)) != 0
    }

    /// Linux's POLLRDHUP, which Swift's Glibc module does not export (it needs _GNU_SOURCE).
    private static let pollReadHangUp: Int16 = 0x2000

    /// Sends a request and makes `exchange` the receiver of its response. `.closed` means the
    /// connection was already over, or the request could not be written (so the server did not
    /// get it): try another connection.
    func begin(_ request: [UInt8], _ exchange: any HTTPExchange) -> Begin {
        let free = state.withLock { state -> Bool in
            guard !state.shutDown, state.exchange == nil, !state.writerActive else { return false }
            state.exchange = exchange
            state.writerActive = true
            return true
        }
        guard free else { return .closed }
        let written = request.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let sent = send(descriptor, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
                if sent > 0 { offset += sent } else if sent < 0, errno == EINTR { continue } else { return false }
            }
            return true
        }
        return state.withLock { state -> Begin in
            state.writerActive = false
            guard written else {
                // Ours to report: the reader must not also end this exchange.
                if state.exchange === exchange { state.exchange = nil }
                shutDown(&state)
                closeIfUnused(&state)
                return .closed
            }
            closeIfUnused(&state)
            return .sent
        }
    }

    /// Breaks the connection if `exchange` is still the one in flight (its caller gave up); the
    /// exchange gets `end` with a failure. A connection that has moved on is left alone.
    func abort(_ exchange: any HTTPExchange) {
        state.withLock { state in
            if state.exchange === exchange { shutDown(&state) }
        }
    }

    func close() {
        state.withLock { shutDown(&$0) }
    }

    private func shutDown(_ state: inout State) {
        guard !state.shutDown, !state.closed else { return }
        state.shutDown = true
        _ = Glibc.shutdown(descriptor, Int32(SHUT_RDWR))
    }

    private func closeIfUnused(_ state: inout State) {
        guard state.shutDown, !state.readerActive, !state.writerActive, !state.closed else { return }
        state.closed = true
        Glibc.close(descriptor)
    }

    private func read() {
        var parser = HTTPResponseParser()
        var current: (any HTTPExchange)?
        var keepAlive = true
        var failure: String?
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 16)
        defer { buffer.deallocate() }

        func handle(_ event: HTTPResponseParser.Event) -> Bool {
            switch event {
            case .head(let head):
                current = state.withLock { $0.exchange }
                guard let current else { return false }
                keepAlive = head.keepAlive
                current.head(head)
            case .body(let bytes):
                current?.body(bytes)
            case .end:
                let finished = current
                current = nil
                // Back to the pool before the exchange learns it is over, so that a caller it
                // wakes can find this connection free.
                let idle = state.withLock { state -> Bool in
                    state.exchange = nil
                    state.idleSince = ContinuousClock.now
                    if !keepAlive { shutDown(&state) }
                    return !state.shutDown
                }
                if idle { onIdle(self) }
                finished?.end(nil)
            }
            return true
        }

        loop: while true {
            let count = recv(descriptor, buffer.baseAddress, buffer.count, 0)
            if count < 0, errno == EINTR { continue }
            if count <= 0 {
                let shutDown = state.withLock { $0.shutDown }
                if count < 0, !shutDown { failure = String(cString: strerror(errno)) }
                do throws(HTTPResponseParser.Malformed) {
                    var ok = true
                    try parser.finish { ok = handle($0) && ok }
                } catch {
                    failure = failure ?? (shutDown ? "the request was abandoned" : "the server closed the connection before answering")
                }
                break loop
            }
            do throws(HTTPResponseParser.Malformed) {
                var ok = true
                try parser.feed(UnsafeRawBufferPointer(rebasing: buffer[..<count])) { event in
                    if ok { ok = handle(event) }
                }
                guard ok else {
                    failure = "the server sent a response nobody asked for"
                    break loop
                }
            } catch {
                failure = "the server's response is not HTTP: \(error.reason)"
                break loop
            }
        }
        let unfinished = state.withLock { state -> (any HTTPExchange)? in
            state.readerActive = false
            shutDown(&state)
            closeIfUnused(&state)
            defer { state.exchange = nil }
            return state.exchange
        }
        unfinished?.end(failure ?? "the server closed the connection")
    }
}

/// Keep-alive connections to one server, most recently used first. A connection that has been
/// idle for a while is not reused: the server may be closing it at that very moment (uvicorn,
/// under FastMCP, closes idle connections after 5 s), and a request sent into a closing
/// connection would be lost.
final class HTTPConnectionPool: Sendable {
    /// Idle connections kept; each has a reader thread parked in `recv`.
    static let maximumIdle = 32
    static let idleLimit: Duration = .seconds(3)

    private struct State {
        var idle: [HTTPConnection] = []
        var closed = false
    }

    let endpoint: LoopbackEndpoint
    private let state = Mutex(State())

    init(endpoint: LoopbackEndpoint) { self.endpoint = endpoint }

    /// Sends a request on an idle connection or a new one; nil when sent, else why it could not be.
    func send(_ request: [UInt8], _ exchange: any HTTPExchange, register: (HTTPConnection) -> Void = { _ in }) -> String? {
        for _ in 0..<3 {
            let connection: HTTPConnection
            if let reused = takeIdle() {
                connection = reused
            } else {
                switch HTTPConnection.open(endpoint, onIdle: { [weak self] in self?.putIdle($0) }) {
                case .success(let opened): connection = opened
                case .failure(let failure): return failure.reason
                }
            }
            register(connection)
            if connection.begin(request, exchange) == .sent { return nil }
        }
        return "the server keeps closing connections"
    }

    /// A connection outside the pool, for a stream that stays open (the server's GET stream).
    func dedicated() -> Result<HTTPConnection, HTTPConnection.ConnectFailure> {
        HTTPConnection.open(endpoint) { $0.close() }
    }

    /// Closes the idle connections, and every busy one as soon as it is done.
    func closeAll() {
        let idle = state.withLock { state -> [HTTPConnection] in
            state.closed = true
            defer { state.idle = [] }
            return state.idle
        }
        for connection in idle { connection.close() }
    }

    private func takeIdle() -> HTTPConnection? {
        var stale: [HTTPConnection] = []
        defer { for connection in stale { connection.close() } }
        return state.withLock { state -> HTTPConnection? in
            while let connection = state.idle.popLast() {
                if connection.isReusable(idleLimit: Self.idleLimit) { return connection }
                stale.append(connection)
            }
            return nil
        }
    }

    private func putIdle(_ connection: HTTPConnection) {
        var dropped: [HTTPConnection] = []
        state.withLock { state in
            // The oldest are at the front; those past the limit go.
            while let oldest = state.idle.first, !oldest.isReusable(idleLimit: Self.idleLimit) {
                dropped.append(state.idle.removeFirst())
            }
            if state.closed || state.idle.count >= Self.maximumIdle {
                dropped.append(connection)
            } else {
                state.idle.append(connection)
            }
        }
        for connection in dropped { connection.close() }
    }
}
