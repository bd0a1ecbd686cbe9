/// The HTTP exchange that turns a fresh connection into an attach stream: the request asks the
/// engine to upgrade (hijack) the connection, the engine answers `101 UPGRADED` (older engines:
/// `200 OK`) and from then on the connection carries the container's stdin one way and its
/// output the other. Any other status is the engine refusing, with a JSON error body.
enum AttachHandshake {
    /// How long the engine may take to answer; it answers at once unless something is wrong.
    static let answerTimeout: Duration = .seconds(30)
    static let maximumHeadLength = 64 << 10

    struct Head: Equatable {
        var status: Int
        /// Names lowercased.
        var headers: [String: String]
    }

    static func request(path: String, host: DockerHost) -> [UInt8] {
        let authority: String
        switch host {
        case .unix: authority = "docker"
        case .tcp(let name, let port): authority = name.contains(":") ? "[\(name)]:\(port)" : "\(name):\(port)"
        }
        let text = "POST \(path)?stream=1&stdin=1&stdout=1&stderr=1 HTTP/1.1\r\n"
            + "Host: \(authority)\r\n"
            + "User-Agent: capstan\r\n"
            + "Content-Type: text/plain\r\n"
            + "Content-Length: 0\r\n"
            + "Connection: Upgrade\r\n"
            + "Upgrade: tcp\r\n"
            + "\r\n"
        return Array(text.utf8)
    }

    /// Sends the request and reads the answer. Blocks: runs on the stream's own thread. Returns
    /// the bytes that arrived after the head, which already belong to the stream.
    static func perform(on socket: AttachSocket, request: [UInt8]) -> Result<[UInt8], DockerError> {
        socket.setReceiveTimeout(answerTimeout)
        defer { socket.setReceiveTimeout(nil) }
        do throws(DockerError) {
            try socket.write(request)
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            var headEnd: Int?
            while headEnd == nil {
                let count = try buffer.withUnsafeMutableBytes { socket.receive(into: $0) }.get()
                guard count > 0 else {
                    throw DockerError.transport(endpoint: socket.endpoint, reason: "the engine closed the connection before answering")
                }
                received.append(contentsOf: buffer[..<count])
                headEnd = endOfHead(received)
                if headEnd == nil, received.count > maximumHeadLength {
                    throw DockerError.decoding(endpoint: socket.endpoint, reason: "the engine's answer has no end of headers")
                }
            }
            guard let headEnd, let head = parseHead(received[..<headEnd]) else {
                throw DockerError.decoding(endpoint: socket.endpoint, reason: "the engine's answer is not HTTP")
            }
            var rest = Array(received[(headEnd + 4)...])
            if head.status == 101 || head.status == 200 { return .success(rest) }

            // A refusal: read its body (the engine always gives the length) for the message.
            let length = min(head.headers["content-length"].flatMap { Int($0) } ?? rest.count, 1 << 20)
            while rest.count < length {
                let count = try buffer.withUnsafeMutableBytes { socket.receive(into: $0) }.get()
                if count == 0 { break }
                rest.append(contentsOf: buffer[..<count])
            }
            let message = DockerClient.engineMessage(Array(rest.prefix(length)))
            switch head.status {
            case 404: throw DockerError.notFound(endpoint: socket.endpoint, message: message)
            case 409: throw DockerError.conflict(endpoint: socket.endpoint, message: message)
            default: throw DockerError.engine(status: head.status, endpoint: socket.endpoint, message: message)
            }
        } catch {
            return .failure(error)
        }
    }

    /// The index of the blank line's `\r\n\r\n` that ends the head.
    static func endOfHead(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4)
        where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index
        }
        return nil
    }

    static func parseHead(_ bytes: ArraySlice<UInt8>) -> Head? {
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)[...]
        guard let statusLine = lines.popFirst() else { return nil }
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = trimmed(line[line.index(after: colon)...])
            headers[name] = value
        }
        return Head(status: status, headers: headers)
    }

    static func trimmed(_ text: Substring) -> String {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        return String(text.drop(while: isBlank).reversed().drop(while: isBlank).reversed())
    }
}
