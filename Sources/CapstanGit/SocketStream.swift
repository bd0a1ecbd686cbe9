import CGit2
#if canImport(Glibc)
import Glibc
#endif

/// The TCP connections under every libgit2 network transport (git://, http://, https:// through
/// libgit2's TLS, and the connect of ssh://), registered in place of libgit2's own socket stream,
/// which waits for ever: libgit2 1.5.1 has no timeout settings (`GIT_OPT_SET_SERVER_TIMEOUT` and
/// `..._CONNECT_TIMEOUT` came in 1.7), so a remote that accepts a connection and then stalls would
/// hold the fetch, and the repository's lock, until the kernel gave up on the connection, which
/// for a silent peer is never. Here connecting, and each wait to send or receive, ends after the
/// fetch's idle timeout. Also, sends never raise SIGPIPE (libgit2's would kill the process when a
/// remote hangs up mid-request).
///
/// Not bounded: name resolution (getaddrinfo), and an SSH session once connected (libssh2 reads
/// the descriptor itself, without a timeout).
enum SocketStream {
    /// The fetch's idle timeout, read when libgit2 opens a connection. libgit2 opens connections on
    /// the thread that called `git_remote_fetch`, inside the fetch's `withValue`.
    @TaskLocal static var idleTimeout: Duration = GitRepository.defaultIdleTimeout

    /// Called once, right after `git_libgit2_init`, which sets up the registry.
    static func register() {
        var registration = git_stream_registration()
        registration.version = GIT_STREAM_VERSION
        registration.`init` = { out, host, port in SocketStream.create(out!, host: host!, port: port!) }
        // No `wrap`: it is only for TLS streams. libgit2 copies the registration.
        let code = git_stream_register(GIT_STREAM_STANDARD, &registration)
        precondition(code == 0, "libgit2 refused the socket stream: \(LibGit2.cause(code))")
    }

    private static func create(
        _ out: UnsafeMutablePointer<UnsafeMutablePointer<git_stream>?>, host: UnsafePointer<CChar>, port: UnsafePointer<CChar>
    ) -> Int32 {
        let (seconds, attoseconds) = idleTimeout.components
        let milliseconds = max(1, min(Int64(Int32.max), seconds * 1000 + attoseconds / 1_000_000_000_000_000))
        // libgit2 gives the stream back to `free` below, which undoes exactly this.
        let stream = UnsafeMutablePointer<capstan_socket_stream>.allocate(capacity: 1)
        stream.initialize(to: capstan_socket_stream())
        stream.pointee.parent.version = GIT_STREAM_VERSION
        stream.pointee.parent.connect = { SocketStream.connect(SocketStream.socket($0!)) }
        stream.pointee.parent.read = { SocketStream.read(SocketStream.socket($0!), into: $1!, count: $2) }
        stream.pointee.parent.write = { SocketStream.write(SocketStream.socket($0!), $1!, count: $2, flags: $3) }
        stream.pointee.parent.close = { SocketStream.close(SocketStream.socket($0!)) }
        stream.pointee.parent.free = { SocketStream.free(SocketStream.socket($0!)) }
        stream.pointee.host = strdup(host)
        stream.pointee.port = strdup(port)
        stream.pointee.s = -1
        stream.pointee.timeout_ms = Int32(milliseconds)
        out.pointee = UnsafeMutableRawPointer(stream).assumingMemoryBound(to: git_stream.self)
        return 0
    }

    private static func socket(_ stream: UnsafeMutablePointer<git_stream>) -> UnsafeMutablePointer<capstan_socket_stream> {
        UnsafeMutableRawPointer(stream).assumingMemoryBound(to: capstan_socket_stream.self)
    }

    private static func connect(_ stream: UnsafeMutablePointer<capstan_socket_stream>) -> Int32 {
        let host = String(cString: stream.pointee.host)
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(stream.pointee.host, stream.pointee.port, &hints, &list)
        guard resolved == 0 else {
            return fail("failed to resolve address for \(host): \(String(cString: gai_strerror(resolved)))")
        }
        defer { freeaddrinfo(list) }
        var failure = "no address"
        var next = list
        while let address = next?.pointee {
            next = address.ai_next
            let descriptor = Glibc.socket(address.ai_family, address.ai_socktype | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), address.ai_protocol)
            guard descriptor >= 0 else {
                failure = String(cString: strerror(errno))
                continue
            }
            if Glibc.connect(descriptor, address.ai_addr, address.ai_addrlen) == 0 || errno == EINPROGRESS {
                switch wait(descriptor, for: Int16(POLLOUT), milliseconds: stream.pointee.timeout_ms) {
                case .ready:
                    var error: Int32 = 0
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    if getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0 {
                        // Blocking again, as libgit2 and libssh2 expect; the waits above each
                        // read and write keep their bound.
                        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK)
                        stream.pointee.s = descriptor
                        return 0
                    }
                    failure = String(cString: strerror(error == 0 ? errno : error))
                case .timedOut:
                    failure = "no answer in \(stream.pointee.timeout_ms) ms"
                case .failed(let error):
                    failure = String(cString: strerror(error))
                }
            } else {
                failure = String(cString: strerror(errno))
            }
            Glibc.close(descriptor)
        }
        return fail("failed to connect to \(host): \(failure)")
    }

    private static func read(_ stream: UnsafeMutablePointer<capstan_socket_stream>, into buffer: UnsafeMutableRawPointer, count: Int) -> Int {
        switch wait(stream.pointee.s, for: Int16(POLLIN), milliseconds: stream.pointee.timeout_ms) {
        case .ready: break
        case .timedOut: return Int(fail("timed out: the remote sent nothing for \(stream.pointee.timeout_ms) ms"))
        case .failed(let error): return Int(fail("error receiving socket data: \(String(cString: strerror(error)))"))
        }
        while true {
            let received = recv(stream.pointee.s, buffer, count, 0)
            if received < 0 && errno == EINTR { continue }
            if received < 0 { return Int(fail("error receiving socket data: \(String(cString: strerror(errno)))")) }
            return received
        }
    }

    private static func write(_ stream: UnsafeMutablePointer<capstan_socket_stream>, _ data: UnsafePointer<CChar>, count: Int, flags: Int32) -> Int {
        switch wait(stream.pointee.s, for: Int16(POLLOUT), milliseconds: stream.pointee.timeout_ms) {
        case .ready: break
        case .timedOut: return Int(fail("timed out: the remote took no data for \(stream.pointee.timeout_ms) ms"))
        case .failed(let error): return Int(fail("error sending data: \(String(cString: strerror(error)))"))
        }
        while true {
            let sent = send(stream.pointee.s, data, count, flags | Int32(MSG_NOSIGNAL))
            if sent < 0 && errno == EINTR { continue }
            if sent < 0 { return Int(fail("error sending data: \(String(cString: strerror(errno)))")) }
            return sent
        }
    }

    private static func close(_ stream: UnsafeMutablePointer<capstan_socket_stream>) -> Int32 {
        guard stream.pointee.s >= 0 else { return 0 }
        let code = Glibc.close(stream.pointee.s)
        stream.pointee.s = -1
        return code
    }

    private static func free(_ stream: UnsafeMutablePointer<capstan_socket_stream>) {
        Glibc.free(stream.pointee.host)
        Glibc.free(stream.pointee.port)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    private enum Wait { case ready, timedOut, failed(Int32) }

    /// Waits until `descriptor` is ready for `events`, at most `milliseconds` in all (signals that
    /// interrupt the wait do not restart the clock).
    private static func wait(_ descriptor: Int32, for events: Int16, milliseconds: Int32) -> Wait {
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(milliseconds)
        while true {
            let left = clock.now.duration(to: deadline)
            guard left > .zero else { return .timedOut }
            let (seconds, attoseconds) = left.components
            var entry = pollfd(fd: descriptor, events: events, revents: 0)
            // Rounded up, so that the wait is never cut short into a busy loop.
            let timeout = Int32(seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
            switch poll(&entry, 1, timeout) {
            case 0: return .timedOut
            case 1...: return .ready  // hang-ups and errors too: the recv, send or SO_ERROR says which
            default:
                if errno == EINTR { continue }
                return .failed(errno)
            }
        }
    }

    private static func fail(_ message: String) -> Int32 {
        git_error_set_str(Int32(GIT_ERROR_NET.rawValue), message)
        return -1
    }
}
