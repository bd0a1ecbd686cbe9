import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 exchange over a unix socket or loopback TCP: one request, `Connection:
/// close`, the whole response read. Enough for the admin API, which sends small JSON documents.
enum LoopbackHTTP {
    enum Target: Sendable {
        case unix(String)
        case tcp(host: String, port: Int)
    }

    struct Request: Sendable {
        var method: String
        var path: String
        var headers: [(String, String)]
        var body: [UInt8]?
    }

    struct Response: Sendable {
        var status: Int
        var body: [UInt8]
    }

    static let maxResponse = 64 << 20

    static func exchange(_ request: Request, with target: Target, timeout: Duration) throws(GatewayAdminError) -> Response {
        let fd = try connect(target)
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))

        var head = "\(request.method) \(request.path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        for (name, value) in request.headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(request.body?.count ?? 0)\r\n\r\n"
        try write(fd, Array(head.utf8) + (request.body ?? []))

        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                throw .unreachable(errno == EAGAIN ? "timed out" : String(cString: strerror(errno)))
            }
            received.append(contentsOf: buffer[0..<n])
            if received.count > maxResponse { throw .malformedResponse }
        }
        return try parse(received)
    }

    static func parse(_ bytes: [UInt8]) throws(GatewayAdminError) -> Response {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(0, bytes.count - 3)).first(where: { Array(bytes[$0..<$0 + 4]) == separator }) else {
            throw .malformedResponse
        }
        let head = String(decoding: bytes[0..<end], as: UTF8.self)
        let statusLine = head.split(separator: "\r\n").first ?? ""
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { throw .malformedResponse }
        var body = Array(bytes[(end + 4)...])
        if head.lowercased().contains("transfer-encoding: chunked") { body = try dechunk(body) }
        return Response(status: status, body: body)
    }

    static func dechunk(_ bytes: [UInt8]) throws(GatewayAdminError) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            guard let lineEnd = (i..<bytes.count - 1).first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 }) else { throw .malformedResponse }
            let sizeText = String(decoding: bytes[i..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { throw .malformedResponse }
            if size == 0 { return out }
            let start = lineEnd + 2
            guard start + size <= bytes.count else { throw .malformedResponse }
            out.append(contentsOf: bytes[start..<start + size])
            i = start + size + 2
        }
        throw .malformedResponse
    }

    static func connect(_ target: Target) throws(GatewayAdminError) -> Int32 {
        switch target {
        case .unix(let path):
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw .unreachable(String(cString: strerror(errno))) }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
                close(fd)
                throw .unreachable("socket path too long")
            }
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                raw.copyBytes(from: bytes)
                raw[bytes.count] = 0
            }
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard result == 0 else {
                let reason = String(cString: strerror(errno))
                close(fd)
                throw .unreachable("\(path): \(reason)")
            }
            return fd
        case .tcp(let host, let port):
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var info: UnsafeMutablePointer<addrinfo>?
            let name = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
            guard getaddrinfo(name, String(port), &hints, &info) == 0, let first = info else {
                throw .unreachable("cannot resolve \(host)")
            }
            defer { freeaddrinfo(info) }
            let fd = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
            guard fd >= 0 else { throw .unreachable(String(cString: strerror(errno))) }
            guard Glibc.connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
                let reason = String(cString: strerror(errno))
                close(fd)
                throw .unreachable("\(host):\(port): \(reason)")
            }
            return fd
        }
    }

    private static func write(_ fd: Int32, _ bytes: [UInt8]) throws(GatewayAdminError) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .unreachable(String(cString: strerror(errno)))
            }
            sent += n
        }
    }
}
