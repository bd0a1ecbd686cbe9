import CapstanCore
import Foundation
import Hummingbird
import Logging

/// MCP 2026-07-28 over HTTP: every POST is a self-contained request whose `_meta` names the
/// revision and whose `Mcp-Method` / `Mcp-Name` headers must mirror the body. No sessions;
/// list changes arrive on a `subscriptions/listen` stream.
struct StatelessExchange {
    static let versionKey = "io.modelcontextprotocol/protocolVersion"
    static let capabilitiesKey = "io.modelcontextprotocol/clientCapabilities"
    static let subscriptionKey = "io.modelcontextprotocol/subscriptionId"
    static let serverInfoKey = "io.modelcontextprotocol/serverInfo"
    static let headerMismatch = -32020
    static let unsupportedVersion = -32022
    /// Methods of the session revisions that 2026-07-28 removed.
    static let removed: Set<String> = ["initialize", "ping", "logging/setLevel", "resources/subscribe", "resources/unsubscribe"]
    static let lists: Set<String> = ["tools/list", "prompts/list", "resources/list", "resources/templates/list", "resources/read"]

    let gateway: Gateway
    let logger: Logger

    func post(_ value: JSONValue, headers: HTTPFields, client: RouteClient, acceptsStream: Bool, keepAlive: Duration) async -> Response {
        guard case .object = value else {
            return MCPResponder.error(.badRequest, nil, JSONRPCErrorObject(code: JSONRPCErrorObject.invalidRequest,
                                                                           message: "MCP 2026-07-28 takes a single JSON-RPC message per request"))
        }
        let message: JSONRPCMessage
        do {
            message = try JSONRPCMessage(value)
        } catch {
            return MCPResponder.error(.badRequest, value["id"].flatMap { JSONRPCMessage.isValidID($0) ? $0 : nil }, error)
        }
        guard case .request(let id, let method, let params) = message else {
            if case .notification = message { return Response(status: .accepted) }
            return MCPResponder.error(.badRequest, nil, JSONRPCErrorObject(code: JSONRPCErrorObject.invalidRequest,
                                                                           message: "clients send no responses in MCP 2026-07-28"))
        }
        if let problem = Self.check(id: id, method: method, params: params, headers: headers) {
            return MCPResponder.error(problem.status, id, problem.error)
        }
        let context = CallContext(client: client.name, revision: .v2026_07_28)
        switch method {
        case "server/discover":
            return MCPResponder.json(.ok, JSONRPCMessage.response(id: id, result: discoverResult).json)
        case "subscriptions/listen":
            return listen(id: id, params: params, client: client, keepAlive: keepAlive)
        case _ where Self.removed.contains(method):
            return MCPResponder.error(.notFound, id, JSONRPCErrorObject(code: JSONRPCErrorObject.methodNotFound,
                                                                        message: "\(method) is not part of MCP 2026-07-28"))
        default:
            break
        }
        let gateway = self.gateway
        if acceptsStream, params?["_meta"]?["progressToken"] != nil {
            let (stream, continuation) = AsyncStream.makeStream(of: JSONRPCMessage.self)
            let work = Task {
                let answer = await gateway.handle(id: id, method: method, params: params, context: context, emit: { continuation.yield($0) })
                continuation.yield(self.complete(answer, method: method))
                continuation.finish()
            }
            continuation.onTermination = { _ in work.cancel() }
            return MCPResponder.stream(stream)
        }
        let answer = await gateway.handle(id: id, method: method, params: params, context: context, emit: { _ in })
        if case .error(_, let error) = answer, error.code == JSONRPCErrorObject.methodNotFound {
            return MCPResponder.json(.notFound, answer.json)
        }
        return MCPResponder.json(.ok, complete(answer, method: method).json)
    }

    struct Problem {
        var status: HTTPResponse.Status
        var error: JSONRPCErrorObject
    }

    /// The checks 2026-07-28 puts before dispatch, in its order: `_meta` fields, headers that
    /// mirror the body, the revision.
    static func check(id: JSONValue, method: String, params: JSONValue?, headers: HTTPFields) -> Problem? {
        let meta = params?["_meta"]
        guard let requested = meta?[versionKey]?.stringValue, meta?[capabilitiesKey]?.objectValue != nil else {
            return Problem(status: .badRequest, error: JSONRPCErrorObject(
                code: JSONRPCErrorObject.invalidParams,
                message: "params._meta must carry \(versionKey) and \(capabilitiesKey)"))
        }
        if let header = headers[.mcpProtocolVersion], header != requested {
            return mismatch("MCP-Protocol-Version header \(header) does not match the body's \(requested)")
        }
        guard requested == ProtocolRevision.v2026_07_28.rawValue else {
            return Problem(status: .badRequest, error: unsupported(requested))
        }
        guard let headerMethod = headers[.mcpMethod] else { return mismatch("the Mcp-Method header is required") }
        guard headerMethod == method else {
            return mismatch("Mcp-Method header value '\(headerMethod)' does not match body value '\(method)'")
        }
        let named: String?
        switch method {
        case "tools/call", "prompts/get": named = params?["name"]?.stringValue
        case "resources/read": named = params?["uri"]?.stringValue
        default: named = nil
        }
        if let named {
            guard let raw = headers[.mcpName] else { return mismatch("the Mcp-Name header is required for \(method)") }
            guard let decoded = decodeHeaderValue(raw) else { return mismatch("the Mcp-Name header is not valid") }
            guard decoded == named else {
                return mismatch("Mcp-Name header value does not match body value for \(method)")
            }
        }
        return nil
    }

    /// -32022 with the revisions the gateway speaks, so a client can retry with one of them.
    static func unsupported(_ requested: String) -> JSONRPCErrorObject {
        JSONRPCErrorObject(code: unsupportedVersion, message: "Unsupported protocol version",
                           data: .object(["supported": .array(ProtocolRevision.allCases.reversed().map { .string($0.rawValue) }),
                                          "requested": .string(requested)]))
    }

    static func mismatch(_ message: String) -> Problem {
        Problem(status: .badRequest, error: JSONRPCErrorObject(code: headerMismatch, message: "Header mismatch: \(message)"))
    }

    /// `=?base64?…?=` carries values a header cannot hold as they are.
    static func decodeHeaderValue(_ raw: String) -> String? {
        guard raw.hasPrefix("=?base64?"), raw.hasSuffix("?="), raw.count >= 11 else { return raw }
        let encoded = raw.dropFirst("=?base64?".count).dropLast(2)
        guard let data = Data(base64Encoded: String(encoded)) else { return nil }
        return String(data: data, encoding: .utf8)
    }

    var serverInfo: JSONValue {
        .object(["name": .string(Gateway.serverName), "version": .string(gateway.version)])
    }

    var discoverResult: JSONValue {
        .object([
            "resultType": .string("complete"),
            "supportedVersions": .array(ProtocolRevision.allCases.reversed().map { .string($0.rawValue) }),
            "capabilities": gateway.capabilities,
            "instructions": .string("Tools of the servers this client may use, named <server>__<tool>."),
            "_meta": .object([Self.serverInfoKey: serverInfo]),
            // What a client sees depends on its token: never cache it for others.
            "ttlMs": .int(0),
            "cacheScope": .string("private"),
        ])
    }

    /// 2026-07-28 results say they are complete; list results carry caching hints (private:
    /// they depend on the caller's token, and routes change without notice).
    func complete(_ answer: JSONRPCMessage, method: String) -> JSONRPCMessage {
        guard case .response(let id, .object(var result)) = answer else { return answer }
        result["resultType"] = .string("complete")
        if Self.lists.contains(method) {
            result["ttlMs"] = .int(0)
            result["cacheScope"] = .string("private")
        }
        var meta = result["_meta"]?.objectValue ?? JSONObject()
        meta[Self.serverInfoKey] = serverInfo
        result["_meta"] = .object(meta)
        return .response(id: id, result: .object(result))
    }

    /// The listen stream: the acknowledgement first, then a notification whenever a requested
    /// list of this client's view changes; every frame names the subscription.
    func listen(id: JSONValue, params: JSONValue?, client: RouteClient, keepAlive: Duration) -> Response {
        let requested = params?["notifications"]?.objectValue ?? JSONObject()
        let flags: [(key: String, kind: ListKind)] = [("toolsListChanged", .tools), ("promptsListChanged", .prompts),
                                                      ("resourcesListChanged", .resources)]
        let honored = flags.filter { requested[$0.key]?.boolValue == true }
        let meta: JSONValue = .object([Self.subscriptionKey: id])
        var ack = JSONObject()
        for flag in honored { ack[flag.key] = .bool(true) }
        let acknowledgement = JSONRPCMessage.notification(method: "notifications/subscriptions/acknowledged",
                                                          params: .object(["_meta": meta, "notifications": .object(ack)]))
        let kinds = Set(honored.map(\.kind))
        let subscription = gateway.changes.subscribe(client: client.name)
        let (stream, continuation) = AsyncStream.makeStream(of: JSONRPCMessage.self)
        continuation.yield(acknowledgement)
        let changes = gateway.changes
        let forward = Task {
            for await kind in subscription.changes where kinds.contains(kind) {
                continuation.yield(.notification(method: kind.changedNotification ?? "", params: .object(["_meta": meta])))
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in
            forward.cancel()
            changes.unsubscribe(subscription.id)
        }
        return MCPResponder.stream(stream, keepAlive: keepAlive)
    }
}
