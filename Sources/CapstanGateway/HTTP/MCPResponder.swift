import CapstanCore
import Hummingbird
import Logging

/// The client endpoint, `/mcp`, in Streamable HTTP. This type frames and checks; what to answer
/// is `Gateway.handle`. It never throws: a thrown error would become a bare 500.
struct MCPResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let gateway: Gateway
    let sessions: SessionStore
    let configuration: GatewayConfiguration
    let logger: Logger

    func respond(to request: Request, context: Context) async throws -> Response {
        let path = request.uri.path
        if path == "/healthz" { return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "ok\n"))) }
        guard path == "/mcp" || path == "/mcp/" else {
            return Self.error(.notFound, nil, JSONRPCErrorObject(code: JSONRPCErrorObject.invalidRequest, message: "the MCP endpoint is /mcp"))
        }
        guard RequestChecks.originAllowed(request.headers[.origin], allowed: configuration.allowedOrigins) else {
            logger.notice("request refused: origin not allowed")
            return Self.error(.forbidden, nil, JSONRPCErrorObject(code: JSONRPCErrorObject.invalidRequest, message: "Origin not allowed"))
        }
        let presented = bearerToken(request.headers[.authorization])
        guard let token = presented, let client = gateway.authenticate(token: token) else {
            var response = Self.error(.unauthorized, nil, JSONRPCErrorObject(code: JSONRPCErrorObject.invalidRequest,
                                                                               message: "a valid bearer token is required"))
            response.headers[.wwwAuthenticate] = presented == nil
                ? #"Bearer realm="capstan-gateway""#
                : #"Bearer realm="capstan-gateway", error="invalid_token", error_description="unknown token""#
            return response
        }
        switch request.method {
        case .post: return await post(request, client: client)
        case .get: return await listen(request, client: client)
        case .delete: return delete(request, client: client)
        default:
            var response = Response(status: .methodNotAllowed)
            response.headers[.allow] = "GET, POST, DELETE"
            return response
        }
    }

    // MARK: POST

    private func post(_ request: Request, client: RouteClient) async -> Response {
        let accept = request.headers[.accept]
        guard RequestChecks.accepts(accept, "application/json") || RequestChecks.accepts(accept, "text/event-stream") else {
            return Self.error(.notAcceptable, nil, JSONRPCErrorObject(code: JSONRPCErrorObject.invalidRequest,
                                                                      message: "Accept must include application/json or text/event-stream"))
        }
        guard RequestChecks.isJSON(request.headers[.contentType]) else {
            return Self.error(.unsupportedMediaType, nil, JSONRPCErrorObject(code: JSONRPCErrorObject.invalidRequest,
                                                                             message: "Content-Type must be application/json"))
        }
        let body: [UInt8]
        do {
            let buffer = try await request.body.collect(upTo: configuration.maxBodySize)
            body = Array(buffer.readableBytesView)
        } catch {
            return Self.error(.contentTooLarge, nil, JSONRPCErrorObject(code: JSONRPCErrorObject.invalidRequest,
                                                                        message: "the body is larger than \(configuration.maxBodySize) bytes"))
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(body)
        } catch {
            return Self.error(.badRequest, nil, JSONRPCErrorObject(code: JSONRPCErrorObject.parseError, message: "Parse error: \(error.description)"))
        }

        // Which era: `initialize` opens a session; a request whose header or `_meta` names
        // 2026-07-28 is served statelessly (whose checks then report any header that disagrees
        // with the body); a header naming no revision at all is refused with the list.
        let versionHeader = request.headers[.mcpProtocolVersion]
        let metaVersion = value["params"]?["_meta"]?[StatelessExchange.versionKey]?.stringValue
        let isInitialize = value["method"]?.stringValue == "initialize"
        let headerRevision = versionHeader.flatMap(ProtocolRevision.init(rawValue:))
        if !isInitialize, metaVersion != nil || headerRevision == .v2026_07_28 {
            return await StatelessExchange(gateway: gateway, logger: logger)
                .post(value, headers: request.headers, client: client, acceptsStream: RequestChecks.accepts(accept, "text/event-stream"),
                      keepAlive: configuration.keepAliveInterval)
        }
        if let versionHeader, headerRevision == nil {
            return Self.error(.badRequest, value["id"].flatMap { JSONRPCMessage.isValidID($0) ? $0 : nil },
                              StatelessExchange.unsupported(versionHeader))
        }
        return await sessionPost(value, request: request, client: client)
    }

    private func sessionPost(_ value: JSONValue, request: Request, client: RouteClient) async -> Response {
        let sessionHeader = request.headers[.mcpSessionID]
        // A single `initialize` opens a session; it may not be batched.
        if case .object = value, let message = try? JSONRPCMessage(value), case .request(let id, "initialize", let params) = message {
            let asked = params?["protocolVersion"]?.stringValue.flatMap(ProtocolRevision.init(rawValue:))
            let revision = asked.flatMap { ProtocolRevision.sessionRevisions.contains($0) ? $0 : nil } ?? ProtocolRevision.latestSessionRevision
            guard let session = sessions.create(client: client.name, revision: revision) else {
                return Self.error(.serviceUnavailable, id, JSONRPCErrorObject(code: JSONRPCErrorObject.internalError, message: "too many sessions"))
            }
            logger.debug("session opened", metadata: ["client": "\(client.name)", "revision": "\(revision.rawValue)"])
            var response = Self.json(.ok, JSONRPCMessage.response(id: id, result: gateway.initializeResult(revision: revision)).json)
            response.headers[.mcpSessionID] = session.id
            return response
        }
        guard let sessionID = sessionHeader else {
            return Self.error(.badRequest, nil, JSONRPCErrorObject(code: JSONRPCErrorObject.invalidRequest,
                                                                   message: "Bad Request: Mcp-Session-Id header is required; send initialize first"))
        }
        guard let session = sessions.lookup(sessionID, client: client.name) else {
            return Self.error(.notFound, nil, JSONRPCErrorObject(code: JSONRPCErrorObject.invalidRequest, message: "Session not found"))
        }
        let context = CallContext(client: client.name, revision: session.revision)
        let acceptsStream = RequestChecks.accepts(request.headers[.accept], "text/event-stream")

        if case .array(let items) = value {
            guard session.revision.allowsBatches else {
                return Self.error(.badRequest, nil, JSONRPCErrorObject(code: JSONRPCErrorObject.invalidRequest,
                                                                       message: "JSON-RPC batches are not part of MCP \(session.revision.rawValue)"))
            }
            guard !items.isEmpty else {
                return Self.error(.badRequest, nil, JSONRPCErrorObject(code: JSONRPCErrorObject.invalidRequest, message: "empty batch"))
            }
            var answers: [JSONValue] = []
            for item in items {
                if let answer = await handleOne(item, session: session, context: context, emit: { _ in }) { answers.append(answer.json) }
            }
            return answers.isEmpty ? Response(status: .accepted) : Self.json(.ok, .array(answers))
        }

        let message: JSONRPCMessage
        do {
            message = try JSONRPCMessage(value)
        } catch {
            return Self.error(.badRequest, value["id"].flatMap { JSONRPCMessage.isValidID($0) ? $0 : nil }, error)
        }
        guard case .request(let id, _, let params) = message else {
            _ = await handleOne(value, session: session, context: context, emit: { _ in })
            return Response(status: .accepted)
        }
        // Progress can only reach the client on a stream; open one when the request asks for it.
        if acceptsStream, params?["_meta"]?["progressToken"] != nil {
            let (stream, continuation) = AsyncStream.makeStream(of: JSONRPCMessage.self)
            let work = Task {
                let answer = await handleOne(value, session: session, context: context, emit: { continuation.yield($0) })
                continuation.yield(answer ?? .error(id: id, error: JSONRPCErrorObject(code: JSONRPCErrorObject.internalError, message: "no answer")))
                continuation.finish()
            }
            continuation.onTermination = { _ in work.cancel() }
            return Self.stream(stream)
        }
        let answer = await handleOne(value, session: session, context: context, emit: { _ in })
        return Self.json(.ok, (answer ?? .error(id: id, error: JSONRPCErrorObject(code: JSONRPCErrorObject.internalError, message: "no answer"))).json)
    }

    /// One message of a session: a request gets an answer, anything else gets nil.
    private func handleOne(_ value: JSONValue, session: SessionStore.Session, context: CallContext,
                           emit: @escaping @Sendable (JSONRPCMessage) -> Void) async -> JSONRPCMessage? {
        let message: JSONRPCMessage
        do {
            message = try JSONRPCMessage(value)
        } catch {
            return .error(id: value["id"].flatMap { JSONRPCMessage.isValidID($0) ? $0 : nil }, error: error)
        }
        switch message {
        case .request(let id, let method, let params):
            if method == "initialize" {
                return .error(id: id, error: JSONRPCErrorObject(code: JSONRPCErrorObject.invalidRequest, message: "the session is already initialized"))
            }
            let key = id.text
            let gateway = self.gateway
            let task = Task { await gateway.handle(id: id, method: method, params: params, context: context, emit: emit) }
            sessions.track(session.id, request: key, task: task)
            let answer = await withTaskCancellationHandler { await task.value } onCancel: { task.cancel() }
            sessions.untrack(session.id, request: key)
            return answer
        case .notification("notifications/cancelled", let params):
            if let requestID = params?["requestId"] { sessions.cancel(session.id, request: requestID.text) }
            return nil
        case .notification, .response, .error:
            // `notifications/initialized` and the like need nothing; the gateway sends clients no requests.
            return nil
        }
    }

    // MARK: GET and DELETE

    private func listen(_ request: Request, client: RouteClient) async -> Response {
        guard RequestChecks.accepts(request.headers[.accept], "text/event-stream") else {
            return Self.error(.notAcceptable, nil, JSONRPCErrorObject(code: JSONRPCErrorObject.invalidRequest, message: "Accept must include text/event-stream"))
        }
        guard let sessionID = request.headers[.mcpSessionID] else { return Self.methodNotAllowed() }
        guard sessions.lookup(sessionID, client: client.name) != nil else {
            return Self.error(.notFound, nil, JSONRPCErrorObject(code: JSONRPCErrorObject.invalidRequest, message: "Session not found"))
        }
        let subscription = gateway.changes.subscribe(client: client.name)
        sessions.attachListener(sessionID, subscription.id)
        let messages = subscription.changes.map { kind in JSONRPCMessage.notification(method: kind.changedNotification ?? "", params: nil) }
        return Self.stream(messages, keepAlive: configuration.keepAliveInterval)
    }

    private func delete(_ request: Request, client: RouteClient) -> Response {
        guard let sessionID = request.headers[.mcpSessionID] else { return Self.methodNotAllowed() }
        guard let listeners = sessions.remove(sessionID, client: client.name) else {
            return Self.error(.notFound, nil, JSONRPCErrorObject(code: JSONRPCErrorObject.invalidRequest, message: "Session not found"))
        }
        for id in listeners { gateway.changes.unsubscribe(id) }
        return Response(status: .ok)
    }

    // MARK: Framing

    /// GET and DELETE exist only for sessions; without one (2026-07-28) they are not allowed.
    static func methodNotAllowed() -> Response {
        var response = error(.methodNotAllowed, nil, JSONRPCErrorObject(code: JSONRPCErrorObject.invalidRequest,
                                                                        message: "GET and DELETE need an Mcp-Session-Id"))
        response.headers[.allow] = "POST"
        return response
    }

    static func json(_ status: HTTPResponse.Status, _ value: JSONValue) -> Response {
        var buffer = ByteBuffer()
        buffer.writeBytes(value.bytes)
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: buffer))
    }

    static func error(_ status: HTTPResponse.Status, _ id: JSONValue?, _ error: JSONRPCErrorObject) -> Response {
        json(status, JSONRPCMessage.error(id: id, error: error).json)
    }

    /// An event stream of messages, with keep-alive comments while it is idle.
    static func stream<S: AsyncSequence & Sendable>(_ messages: S, keepAlive: Duration? = nil) -> Response where S.Element == JSONRPCMessage {
        let body = ResponseBody { writer in
            try await withThrowingTaskGroup(of: Void.self) { group in
                let (frames, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
                group.addTask {
                    for try await message in messages { continuation.yield(SSE.event(message)) }
                    continuation.finish()
                }
                if let keepAlive {
                    group.addTask {
                        while !Task.isCancelled {
                            try await Task.sleep(for: keepAlive)
                            continuation.yield(SSE.keepAlive)
                        }
                    }
                }
                for await frame in frames { try await writer.write(frame) }
                group.cancelAll()
            }
            try await writer.finish(nil)
        }
        var response = Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
        // Reverse proxies must pass events on as they come.
        response.headers[.xAccelBuffering] = "no"
        return response
    }
}
