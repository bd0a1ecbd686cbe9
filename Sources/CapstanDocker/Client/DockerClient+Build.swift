import Synchronization

extension DockerClient {
    /// Builds an image with the classic builder from `context`, a tar archive, and returns the
    /// new image's ID. Build output goes to `onLog` line by line while the build runs (on a
    /// worker thread). A failing step is `.buildFailed`, although the engine answers 200; so is
    /// a Dockerfile the engine refuses outright.
    public func buildImage(context: [UInt8], options: BuildOptions,
                           onLog: @escaping @Sendable (String) -> Void = { _ in }) async throws(DockerError) -> String {
        let progress = Mutex(BuildStream())
        let sink: @Sendable ([UInt8]) -> Void = { chunk in
            for line in progress.withLock({ $0.consume(chunk) }) { onLog(line) }
        }
        let response: HTTPResponse
        do {
            response = try await send(.post, "/build", query: Self.buildQuery(options), body: context,
                                      contentType: "application/x-tar", sink: sink)
        } catch .engine(_, _, let message) {
            // Refused before any step ran (a Dockerfile that does not parse or is not in the
            // context): to the caller that is the same failure as a failing step.
            throw .buildFailed(message: message, logTail: [])
        }
        for line in progress.withLock({ $0.finish() }) { onLog(line) }
        return try progress.withLock { stream throws(DockerError) -> String in
            if let message = stream.error {
                throw .buildFailed(message: message, logTail: stream.tail)
            }
            guard let id = stream.imageID else {
                throw .decoding(endpoint: response.endpoint, reason: "the build stream ended without an image ID")
            }
            return id
        }
    }

    static func buildQuery(_ options: BuildOptions) -> [(name: String, value: String)] {
        var query: [(name: String, value: String)] = options.tags.map { ("t", $0) }
        query += [
            ("dockerfile", options.dockerfile),
            // Maps travel as JSON objects in a single parameter.
            ("buildargs", String(decoding: encode(options.buildArgs), as: UTF8.self)),
            ("labels", String(decoding: encode(options.labels), as: UTF8.self)),
            ("networkmode", options.networkMode),
            ("pull", flag(options.pull)),
            ("nocache", flag(options.noCache)),
            ("rm", flag(options.rm)),
            ("forcerm", flag(options.forceRm)),
        ]
        if let target = options.target { query.append(("target", target)) }
        return query
    }
}
