import CapstanReconciler
import Foundation
import Hummingbird
import Logging

/// Answers the API's requests. Everything that decides (routing, credentials, webhook outcome)
/// is a pure function elsewhere; this type reads bodies, calls the controller and writes
/// responses. It never throws: a thrown error would become a bare 500 in Hummingbird.
struct ControllerResponder: HTTPResponder {
    typealias Context = ControllerRequestContext

    /// A manual sync's optional body, `{"server": "name"}`, is small.
    static let maxSyncBodySize = 64 << 10

    let api: any ControllerAPI
    let webhook: WebhookEvaluator?
    let adminToken: AdminToken?
    let maxWebhookBodySize: Int
    let dashboard: DashboardResponder?
    let logger: Logger

    /// On every answer, an API error or a 405 as much as a page: a browser may be shown any of
    /// them. A header the response set itself (an asset's cache lifetime) is kept.
    static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy: "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
            + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        .xContentTypeOptions: "nosniff",
        .referrerPolicy: "no-referrer",
        .xFrameOptions: "DENY",
        .cacheControl: "no-store",
    ]

    func respond(to request: Request, context: Context) async throws -> Response {
        var response = await answer(request, context: context)
        if request.method == .head { response = response.createHeadResponse() }
        for field in Self.securityHeaders where response.headers[field.name] == nil {
            response.headers[field.name] = field.value
        }
        return response
    }

    private func answer(_ request: Request, context: Context) async -> Response {
        switch ControllerRoute.match(method: request.method, path: request.uri.path, dashboard: dashboard != nil) {
        case .notFound:
            return .json(.notFound, ["error": "not_found"])
        case .methodNotAllowed(let allow):
            var response = Response.json(.methodNotAllowed, ["error": "method_not_allowed"])
            response.headers[.allow] = allow.map(\.rawValue).joined(separator: ", ")
            return response
        case .route(.healthz):
            return .text(.ok, "ok\n")
        case .route(.readyz):
            return await api.isReady() ? .text(.ok, "ready\n") : .text(.serviceUnavailable, "not ready\n")
        case .route(.status):
            return await status()
        case .route(.metrics):
            return .text(.ok, await api.metricsText(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        case .route(.webhook):
            return await webhook(request)
        case .route(.sync):
            return await sync(request)
        case .route(let route):
            // `match` returns dashboard routes only when there is a dashboard.
            guard let dashboard else { return .json(.notFound, ["error": "not_found"]) }
            return await dashboard.respond(route, request, peerIsLoopback: context.peerIsLoopback)
        }
    }

    private func status() async -> Response {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        do {
            return .jsonData(.ok, try encoder.encode(await api.status()))
        } catch {
            logger.error("cannot encode controller status", metadata: ["error": "\(error)"])
            return .json(.internalServerError, ["error": "internal"])
        }
    }

    private func webhook(_ request: Request) async -> Response {
        guard let webhook else { return .json(.notFound, ["error": "webhook_not_configured"]) }
        let outcome: WebhookOutcome
        switch await BoundedBody.read(request, limit: maxWebhookBodySize) {
        case .tooLarge:
            outcome = .tooLarge
        case .failed:
            return .json(.badRequest, ["result": "bad_request"])
        case .body(let body):
            let headers = WebhookHeaders(request.headers.map { (name: $0.name.canonicalName, value: $0.value) })
            outcome = webhook.evaluate(headers: headers, body: body)
        }

        if case .accepted(let provider) = outcome {
            await api.trigger(.webhook(provider: provider.rawValue))
        }
        await api.recordWebhook(result: outcome.result)
        log(outcome)
        return Self.response(for: outcome)
    }

    private func sync(_ request: Request) async -> Response {
        guard let adminToken else { return .json(.notFound, ["error": "sync_not_configured"]) }
        guard BearerAuthorization.check(header: request.headers[.authorization], token: adminToken) == .authorized else {
            logger.notice("manual sync refused: missing or invalid bearer token")
            var response = Response.json(.unauthorized, ["error": "unauthorized"])
            response.headers[.wwwAuthenticate] = #"Bearer realm="capstan""#
            return response
        }
        let server: String?
        switch await BoundedBody.read(request, limit: Self.maxSyncBodySize) {
        case .tooLarge:
            return .json(.contentTooLarge, ["error": "too_large"])
        case .failed:
            return .json(.badRequest, ["error": "bad_request"])
        case .body(let body):
            guard let parsed = SyncRequest.parse(body) else {
                return .json(.badRequest, ["error": "bad_request", "reason": #"expected {"server": "<name>"} or no body"#])
            }
            server = parsed.server
        }
        await api.trigger(.manual(server: server))
        logger.info("manual sync queued", metadata: server.map { ["server": "\($0)"] } ?? [:])
        var body = ["result": "accepted"]
        body["server"] = server
        return .json(.accepted, body)
    }

    static func response(for outcome: WebhookOutcome) -> Response {
        switch outcome {
        case .accepted:
            return .json(.accepted, ["result": outcome.result])
        case .ignored(_, .notAPush(let event)):
            return .json(.accepted, ["result": outcome.result, "reason": "event \(event) is not a push"])
        case .ignored(_, .otherRef(let ref)):
            return .json(.accepted, ["result": outcome.result, "reason": "\(ref) is not the followed branch"])
        case .ignored(_, .replayed):
            // 202, not an error: a forge retrying a delivery whose answer it lost must not see a
            // failure. The id is not echoed: it is the sender's text.
            return .json(.accepted, ["result": outcome.result,
                                     "reason": "this delivery was already accepted; a delivery sent again queues no second sync"])
        case .badSignature:
            return .json(.unauthorized, ["result": outcome.result])
        case .badRequest(.unknownSender):
            return .json(.badRequest, ["result": outcome.result, "reason": "no GitHub, Gitea, Forgejo or GitLab event header"])
        case .badRequest(.malformedPayload):
            return .json(.badRequest, ["result": outcome.result, "reason": "push payload is not JSON with a ref"])
        case .tooLarge:
            return .json(.contentTooLarge, ["result": outcome.result])
        }
    }

    /// Names the provider and why; never a header value, the body or the secret.
    private func log(_ outcome: WebhookOutcome) {
        switch outcome {
        case .accepted(let provider):
            logger.info("webhook accepted, sync queued", metadata: ["provider": "\(provider.rawValue)"])
        case .ignored(let provider, .replayed):
            // Not the id: it is a header value.
            logger.notice("webhook ignored: delivery already accepted", metadata: ["provider": "\(provider.rawValue)"])
        case .ignored(let provider, let reason):
            logger.debug("webhook ignored", metadata: ["provider": "\(provider.rawValue)", "reason": "\(reason)"])
        case .badSignature(let check):
            logger.warning("webhook refused: bad signature", metadata: ["check": "\(check)"])
        case .badRequest(let reason):
            logger.notice("webhook refused: bad request", metadata: ["reason": "\(reason)"])
        case .tooLarge:
            logger.notice("webhook refused: body too large", metadata: ["limit": "\(maxWebhookBodySize)"])
        }
    }
}

/// `POST /api/v1/sync`'s body: absent, empty, or `{"server": "name"}`.
struct SyncRequest: Decodable, Equatable {
    var server: String?

    static func parse(_ body: [UInt8]) -> SyncRequest? {
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }) { return SyncRequest(server: nil) }
        guard let request = try? JSONDecoder().decode(SyncRequest.self, from: Data(body)) else { return nil }
        if let server = request.server, server.isEmpty { return nil }
        return request
    }
}

/// Reads a request body up to a limit, refusing early on a declared `Content-Length` above it.
enum BoundedBody {
    enum Read {
        case body([UInt8])
        case tooLarge
        /// The connection failed mid-body.
        case failed
    }

    static func read(_ request: Request, limit: Int) async -> Read {
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit { return .tooLarge }
        var bytes: [UInt8] = []
        do {
            for try await buffer in request.body {
                guard bytes.count + buffer.readableBytes <= limit else { return .tooLarge }
                bytes.append(contentsOf: buffer.readableBytesView)
            }
        } catch {
            return .failed
        }
        return .body(bytes)
    }
}

extension Response {
    static func text(_ status: HTTPResponse.Status, _ text: String, contentType: String = "text/plain; charset=utf-8") -> Response {
        Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func json(_ status: HTTPResponse.Status, _ object: [String: String]) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a [String: String] cannot fail.
        return jsonData(status, (try? encoder.encode(object)) ?? Data("{}".utf8))
    }

    static func jsonData(_ status: HTTPResponse.Status, _ data: Data) -> Response {
        var buffer = ByteBuffer()
        buffer.writeBytes(data)
        buffer.writeString("\n")
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: buffer))
    }
}
