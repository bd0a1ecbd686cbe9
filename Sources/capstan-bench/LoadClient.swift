import Foundation
import Glibc
import Synchronization

/// One persistent HTTP/1.1 connection to a loopback port, with blocking I/O: the load client of
/// the gateway benchmark. Responses are framed by Content-Length or chunked encoding. Each
/// connection is used by one thread at a time (hence `@unchecked Sendable`).
final class LoadConnection: @unchecked Sendable {
    struct Response {
        var status: Int
        /// Lowercased names.
        var headers: [String: String]
        var body: [UInt8]
    }

    private let fd: Int32
    private var buffer: [UInt8] = []
    private var position = 0
    private var chunk = [UInt8](repeating: 0, count: 64 << 10)

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchError("socket: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            let error = errno
            close(fd)
            throw BenchError("connect to 127.0.0.1:\(port): errno \(error)")
        }
    }

    deinit { close(fd) }

    /// Bounds every later read, so a response that never comes fails the run instead of hanging it.
    func setReceiveTimeout(seconds: Int) {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    func exchange(_ request: [UInt8]) throws -> Response {
        try send(request)
        return try readResponse()
    }

    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw BenchError("send: errno \(errno)")
            }
            sent += n
        }
    }

    /// The status line and headers only (an event stream's body goes on).
    func readHead() throws -> (status: Int, headers: [String: String]) {
        let statusLine = try readLine()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, let status = Int(parts[1]) else { throw BenchError("bad status line: \(statusLine)") }
        var headers: [String: String] = [:]
        while true {
            let line = try readLine()
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (status, headers)
    }

    func readResponse() throws -> Response {
        let (status, headers) = try readHead()
        var body: [UInt8] = []
        if let length = headers["content-length"].flatMap({ Int($0) }) {
            try ensure(length)
            body = Array(buffer[position..<position + length])
            position += length
        } else if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            while true {
                let sizeLine = try readLine()
                guard let size = Int(sizeLine.split(separator: ";")[0].trimmingCharacters(in: .whitespaces), radix: 16) else {
                    throw BenchError("bad chunk size: \(sizeLine)")
                }
                if size == 0 {
                    while try !readLine().isEmpty {}
                    break
                }
                try ensure(size + 2)
                body += buffer[position..<position + size]
                position += size + 2
            }
        }
        return Response(status: status, headers: headers, body: body)
    }

    private func readLine() throws -> String {
        while true {
            if let end = Self.crlf(in: buffer, from: position) {
                let line = String(decoding: buffer[position..<end], as: UTF8.self)
                position = end + 2
                return line
            }
            try fill()
        }
    }

    private static func crlf(in bytes: [UInt8], from start: Int) -> Int? {
        var i = start
        while i + 1 < bytes.count {
            if bytes[i] == 13, bytes[i + 1] == 10 { return i }
            i += 1
        }
        return nil
    }

    private func ensure(_ count: Int) throws {
        while buffer.count - position < count { try fill() }
    }

    private func fill() throws {
        if position > 0, position == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            position = 0
        } else if position > 32 << 10 {
            buffer.removeFirst(position)
            position = 0
        }
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 {
            if errno == EINTR { return }
            throw BenchError(errno == EAGAIN ? "receive timed out" : "recv: errno \(errno)")
        }
        if n == 0 { throw BenchError("the server closed the connection") }
        buffer += chunk[0..<n]
    }
}

/// Where a load client sends MCP: a port, a path, a bearer token (nil for none) and the tool name.
struct MCPTarget: Sendable {
    var port: Int
    var path: String
    var token: String?
    var tool: String
}

/// Counts the `tools/call` requests sent to one subject, to compare with the audit store.
final class CallCounter: Sendable {
    private let value = Atomic<Int>(0)
    func increment() { value.add(1, ordering: .relaxed) }
    var count: Int { value.load(ordering: .relaxed) }
}

/// A Streamable HTTP MCP client on one keep-alive connection: initialize once, then tools/call
/// answered as JSON. Used by one thread at a time.
final class MCPLoadClient: @unchecked Sendable {
    let target: MCPTarget
    private let connection: LoadConnection
    private let counter: CallCounter
    private var session: String?
    private var nextID = 1
    private var prefix: [UInt8] = []

    init(_ target: MCPTarget, counter: CallCounter) throws {
        self.target = target
        self.counter = counter
        connection = try LoadConnection(port: target.port)
        connection.setReceiveTimeout(seconds: 60)
        prefix = Self.headerPrefix(target, session: nil, accept: "application/json, text/event-stream", method: "POST")
    }

    static func headerPrefix(_ target: MCPTarget, session: String?, accept: String, method: String) -> [UInt8] {
        var head = "\(method) \(target.path) HTTP/1.1\r\nHost: 127.0.0.1:\(target.port)\r\nAccept: \(accept)\r\n"
        if let token = target.token { head += "Authorization: Bearer \(token)\r\n" }
        if let session { head += "Mcp-Session-Id: \(session)\r\nMCP-Protocol-Version: 2025-06-18\r\n" }
        return Array(head.utf8)
    }

    private func post(_ body: String) throws -> LoadConnection.Response {
        var request = prefix
        request += Array("Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n".utf8)
        request += Array(body.utf8)
        return try connection.exchange(request)
    }

    /// initialize, then notifications/initialized; keeps the session id for every later request.
    func initialize() throws {
        let response = try post(#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}"#)
        guard response.status == 200 else { throw BenchError("initialize answered HTTP \(response.status): \(String(decoding: response.body.prefix(300), as: UTF8.self))") }
        session = response.headers["mcp-session-id"]
        prefix = Self.headerPrefix(target, session: session, accept: "application/json, text/event-stream", method: "POST")
        let initialized = try post(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        guard initialized.status == 202 || initialized.status == 200 else { throw BenchError("notifications/initialized answered HTTP \(initialized.status)") }
    }

    /// One tools/call; throws unless it succeeded.
    func call() throws {
        let id = nextID
        nextID += 1
        counter.increment()
        let response = try post(#"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"\#(target.tool)","arguments":{"text":"hello from the capstan benchmark","n":\#(id)}}}"#)
        guard response.status == 200, contains(response.body, Self.success) else {
            throw BenchError("tools/call answered HTTP \(response.status): \(String(decoding: response.body.prefix(300), as: UTF8.self))")
        }
    }
    private static let success = Array(#""isError":false"#.utf8)

    /// Uses another client's session, as a second connection of the same client.
    func adopt(sessionOf other: MCPLoadClient) {
        session = other.session
        prefix = Self.headerPrefix(target, session: session, accept: "application/json, text/event-stream", method: "POST")
    }

    /// Opens the session's GET event stream on this connection and returns once the server
    /// answered its head (the connection then belongs to the stream).
    func listen() throws {
        let request = Self.headerPrefix(target, session: session, accept: "text/event-stream", method: "GET") + Array("\r\n".utf8)
        try connection.send(request)
        let (status, headers) = try connection.readHead()
        guard status == 200, headers["content-type"]?.hasPrefix("text/event-stream") == true else {
            throw BenchError("GET /mcp answered HTTP \(status)")
        }
    }
}

func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard needle.count <= haystack.count else { return false }
    return haystack.withUnsafeBufferPointer { h in
        needle.withUnsafeBufferPointer { n in
            var i = 0
            while i + n.count <= h.count {
                if h[i] == n[0], memcmp(h.baseAddress! + i, n.baseAddress!, n.count) == 0 { return true }
                i += 1
            }
            return false
        }
    }
}

func nowNanoseconds() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

/// Runs blocking work on a thread of its own, off the cooperative pool (which the in-process
/// gateway needs: it has as many threads as cores).
func onThread<T: Sendable>(_ name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            nameThread(name)
            continuation.resume(with: Result { try body() })
        }
        thread.start()
    }
}

/// Names the current thread as /proc shows it (at most 15 bytes), for the CPU accounts.
func nameThread(_ name: String) {
    try? String(name.prefix(15)).write(toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)
}

/// A line on stderr at once, so a long run shows where it is.
func progress(_ line: String) {
    FileHandle.standardError.write(Data("capstan-bench: \(line)\n".utf8))
}
