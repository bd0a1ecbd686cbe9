import CCurl

/// Runs one request to completion on the calling thread. It blocks, so only the transport's
/// dedicated worker threads call it, never the cooperative pool.
enum Transfer {
    static func run(_ request: HTTPRequest, host: DockerHost, sink: (@Sendable ([UInt8]) -> Void)?,
                    cancellation: TransferCancellation) -> Result<HTTPResponse, DockerError> {
        do throws(CurlFailure) {
            let easy = try CurlEasy()
            let multi = try CurlMulti()
            let receiver = Receiver(easy: easy, sink: sink)
            let headers = CurlHeaderList([
                // curl would otherwise wait up to a second for `100 Continue` before large bodies.
                "Expect:",
                // An empty value removes curl's default form type, which the engine rejects on
                // JSON endpoints even with an empty body.
                "Content-Type:" + (request.contentType.map { " " + $0 } ?? ""),
            ])
            try configure(easy, for: request, host: host, headers: headers, receiver: receiver)

            // POSTFIELDS is read in place, so the bytes stay pinned for the whole transfer. A
            // bodiless POST still needs a non-null pointer, or curl would read stdin.
            let body = request.body ?? []
            let pinned = body.isEmpty ? [0] : body
            let code = try pinned.withUnsafeBufferPointer { buffer throws(CurlFailure) -> CURLcode? in
                if request.method == .post {
                    try easy.set(CURLOPT_POSTFIELDSIZE_LARGE, offset: body.count)
                    try easy.set(CURLOPT_POSTFIELDS, pointer: UnsafeMutableRawPointer(mutating: buffer.baseAddress))
                }
                return try withExtendedLifetime((headers, receiver)) { () throws(CurlFailure) -> CURLcode? in
                    try cancellation.whileAttached(multi) { () throws(CurlFailure) -> CURLcode? in
                        try multi.run(easy) { cancellation.isCancelled }
                    }
                }
            }
            guard let code else { return .failure(.cancelled(endpoint: request.endpoint)) }
            guard code == CURLE_OK else {
                if cancellation.isCancelled { return .failure(.cancelled(endpoint: request.endpoint)) }
                let reason = CurlFailure(code, detail: easy.errorDetail).reason
                return .failure(.transport(endpoint: request.endpoint, reason: reason))
            }
            return .success(HTTPResponse(endpoint: request.endpoint, status: easy.responseCode, body: receiver.body))
        } catch {
            return .failure(.transport(endpoint: request.endpoint, reason: error.reason))
        }
    }

    private static func configure(_ easy: CurlEasy, for request: HTTPRequest, host: DockerHost,
                                  headers: CurlHeaderList, receiver: Receiver) throws(CurlFailure) {
        try easy.set(CURLOPT_URL, host.baseURL + request.target)
        if case .unix(let path) = host {
            try easy.set(CURLOPT_UNIX_SOCKET_PATH, path)
        }
        // Never route through a proxy from the environment: the engine is local by construction.
        try easy.set(CURLOPT_PROXY, "")
        try easy.set(CURLOPT_NOPROXY, "*")
        try easy.set(CURLOPT_PROTOCOLS_STR, "http")
        // Without it curl uses signals for timeouts, which is unsafe with many threads.
        try easy.set(CURLOPT_NOSIGNAL, 1)
        try easy.set(CURLOPT_CONNECTTIMEOUT_MS, 10_000)
        try easy.set(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_1_1))
        try easy.set(CURLOPT_HTTPHEADER, headers: headers)
        switch request.method {
        case .get: try easy.set(CURLOPT_HTTPGET, 1)
        case .post: try easy.set(CURLOPT_POST, 1)
        case .delete: try easy.set(CURLOPT_CUSTOMREQUEST, "DELETE")
        }
        try easy.set(CURLOPT_WRITEFUNCTION, callback: writeCallback)
        try easy.set(CURLOPT_WRITEDATA, pointer: Unmanaged.passUnretained(receiver).toOpaque())
    }

    private static let writeCallback: capstan_curl_io_callback = { data, size, count, context in
        let receiver = Unmanaged<Receiver>.fromOpaque(context!).takeUnretainedValue()
        let length = size * count
        receiver.receive(UnsafeRawBufferPointer(start: data, count: length))
        return length
    }
}

/// The write callback's target. A successful streaming response goes to the sink chunk by
/// chunk as it arrives; anything else (including an error body on a streaming endpoint) is
/// collected for the caller.
private final class Receiver {
    let easy: CurlEasy
    let sink: (@Sendable ([UInt8]) -> Void)?
    var body: [UInt8] = []

    init(easy: CurlEasy, sink: (@Sendable ([UInt8]) -> Void)?) {
        self.easy = easy
        self.sink = sink
    }

    func receive(_ bytes: UnsafeRawBufferPointer) {
        if let sink, (200..<300).contains(easy.responseCode) {
            sink(Array(bytes))
        } else {
            body.append(contentsOf: bytes)
        }
    }
}
