import Foundation
import Synchronization

/// A client for one Docker engine, over its unix socket (or a loopback TCP port). Safe to share:
/// every request runs on its own worker thread, so concurrent calls proceed in parallel.
public final class DockerClient: Sendable {
    public let host: DockerHost
    let transport: HTTPTransport

    /// The in-flight or finished `GET /version`; shared so concurrent first calls ask only once.
    private let negotiation = Mutex<Task<Result<Negotiated, DockerError>, Never>?>(nil)

    struct Negotiated: Sendable {
        var engine: EngineInfo
        var api: APIVersion
    }

    /// `host` is `unix:///path` or a loopback `tcp://` address; nil means `$DOCKER_HOST`, else
    /// `unix:///var/run/docker.sock`. Nothing is contacted until the first request.
    public init(host: String? = nil) throws(DockerError) {
        self.host = try DockerHost.resolve(host, environment: ProcessInfo.processInfo.environment)
        transport = HTTPTransport(host: self.host)
    }

    /// Whether an engine answers `GET /_ping`; never throws, for health checks and probes.
    public func ping() async -> Bool {
        let request = HTTPRequest(method: .get, path: "/_ping")
        guard let response = try? await transport.send(request) else { return false }
        return response.status == 200
    }

    public func version() async throws(DockerError) -> EngineInfo {
        try await negotiated().engine
    }

    /// The API version every request path uses: the engine's, capped at `APIVersion.maximum`.
    public func apiVersion() async throws(DockerError) -> APIVersion {
        try await negotiated().api
    }

    func negotiated() async throws(DockerError) -> Negotiated {
        let task = negotiation.withLock { current in
            if let current { return current }
            let task = Task { await self.negotiate() }
            current = task
            return task
        }
        let result = await task.value
        // A failure is not remembered: the engine may be started, or upgraded, and asked again.
        if case .failure = result {
            negotiation.withLock { if $0 == task { $0 = nil } }
        }
        return try result.get()
    }

    private func negotiate() async -> Result<Negotiated, DockerError> {
        // Unversioned: the one path every engine answers whatever API it speaks.
        let request = HTTPRequest(method: .get, path: "/version")
        do throws(DockerError) {
            let response = try await transport.send(request)
            try Self.check(response)
            let engine = try Self.decode(EngineInfo.self, from: response)
            return .success(Negotiated(engine: engine, api: try APIVersion.negotiate(engine: engine.apiVersion)))
        } catch {
            return .failure(error)
        }
    }

    /// Sends a request under `/v<negotiated>` and turns a non-success status into its error.
    func send(_ method: HTTPRequest.Method, _ path: String, query: [(name: String, value: String)] = [],
              body: [UInt8]? = nil, contentType: String? = nil,
              sink: (@Sendable ([UInt8]) -> Void)? = nil) async throws(DockerError) -> HTTPResponse {
        let api = try await negotiated().api
        let request = HTTPRequest(method: method, path: "/v\(api)" + path, query: query, body: body,
                                  contentType: contentType)
        let response = try await transport.send(request, sink: sink)
        try Self.check(response)
        return response
    }

    /// Sends an optional JSON body and decodes the JSON answer.
    func sendJSON<T: Decodable>(_ type: T.Type, _ method: HTTPRequest.Method, _ path: String,
                                query: [(name: String, value: String)] = [],
                                body: [UInt8]? = nil) async throws(DockerError) -> T {
        let response = try await send(method, path, query: query, body: body,
                                      contentType: body == nil ? nil : "application/json")
        return try Self.decode(type, from: response)
    }

    /// 304 comes from start and stop of a container already in that state: the caller's goal holds.
    static func check(_ response: HTTPResponse) throws(DockerError) {
        let endpoint = response.endpoint
        switch response.status {
        case 200..<300, 304: return
        case 404: throw .notFound(endpoint: endpoint, message: engineMessage(response.body))
        case 409: throw .conflict(endpoint: endpoint, message: engineMessage(response.body))
        default: throw .engine(status: response.status, endpoint: endpoint, message: engineMessage(response.body))
        }
    }

    /// The `message` of the engine's JSON error body, else the body's text.
    static func engineMessage(_ body: [UInt8]) -> String {
        struct ErrorBody: Decodable { var message: String }
        if let decoded = try? JSONDecoder().decode(ErrorBody.self, from: Data(body)) { return decoded.message }
        return String(decoding: body.prefix(1024), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func decode<T: Decodable>(_ type: T.Type, from response: HTTPResponse) throws(DockerError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(response.body))
        } catch {
            throw .decoding(endpoint: response.endpoint, reason: String(describing: error))
        }
    }

    /// Request bodies and query values hold only strings, integers, booleans and their
    /// collections, which JSONEncoder cannot fail on.
    static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return Array(try! encoder.encode(value))
    }

    /// The engine's `filters` query parameter: a JSON object of lists.
    static func filters(_ filters: [String: [String]]) -> [(name: String, value: String)] {
        let nonEmpty = filters.filter { !$0.value.isEmpty }
        guard !nonEmpty.isEmpty else { return [] }
        return [("filters", String(decoding: encode(nonEmpty), as: UTF8.self))]
    }

    static func flag(_ value: Bool) -> String { value ? "1" : "0" }
}
