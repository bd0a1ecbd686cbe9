import CapstanAudit
import CapstanCore
import Crypto
import Foundation

/// Who sent a message and in which revision.
public struct CallContext: Sendable {
    public var client: String
    public var revision: ProtocolRevision

    public init(client: String, revision: ProtocolRevision) {
        self.client = client
        self.revision = revision
    }
}

extension Gateway {
    /// Answers one client request. `emit` carries messages about the request that precede the
    /// answer (progress), for transports that can stream them.
    public func handle(id: JSONValue, method: String, params: JSONValue?, context: CallContext,
                       emit: @escaping @Sendable (JSONRPCMessage) -> Void) async -> JSONRPCMessage {
        guard let client = client(named: context.client) else {
            return .error(id: id, error: JSONRPCErrorObject(code: JSONRPCErrorObject.invalidRequest, message: "the client's access was revoked"))
        }
        do {
            switch method {
            case "ping":
                return .response(id: id, result: .object([:]))
            case "tools/list":
                let result = try await list(.tools, client: client, params: params)
                return .response(id: id, result: context.revision.hasStructuredTools ? result : ClientView.withoutStructure(result, key: "tools"))
            case "prompts/list":
                return .response(id: id, result: try await list(.prompts, client: client, params: params))
            case "resources/list":
                return .response(id: id, result: try await list(.resources, client: client, params: params))
            case "resources/templates/list":
                return .response(id: id, result: try await list(.resourceTemplates, client: client, params: params))
            case "tools/call":
                let answer = await callTool(id: id, params: params, client: client, context: context, emit: emit)
                guard !context.revision.hasStructuredTools, case .response(let answerID, .object(var result)) = answer else { return answer }
                result["structuredContent"] = nil
                return .response(id: answerID, result: .object(result))
            case "prompts/get":
                return try await forwardNamed(id: id, method: method, params: params, client: client, kind: .prompt, emit: emit)
            case "resources/read", "resources/subscribe", "resources/unsubscribe":
                return try await forwardResource(id: id, method: method, params: params, client: client, emit: emit)
            case "logging/setLevel":
                // Backends are shared between clients, so one client's level cannot be applied to them.
                return .response(id: id, result: .object([:]))
            default:
                return .error(id: id, error: JSONRPCErrorObject(code: JSONRPCErrorObject.methodNotFound, message: "method \"\(method)\" is not supported by the gateway"))
            }
        } catch {
            return .error(id: id, error: error)
        }
    }

    /// The `initialize` result for a session revision.
    func initializeResult(revision: ProtocolRevision) -> JSONValue {
        .object([
            "protocolVersion": .string(revision.rawValue),
            "capabilities": capabilities,
            "serverInfo": .object(["name": .string(Gateway.serverName), "version": .string(version)]),
            "instructions": .string("Tools of the servers this client may use, named <server>__<tool>."),
        ])
    }

    var capabilities: JSONValue {
        .object([
            "tools": .object(["listChanged": .bool(true)]),
            "prompts": .object(["listChanged": .bool(true)]),
            "resources": .object(["listChanged": .bool(true)]),
            "logging": .object([:]),
        ])
    }

    // MARK: Lists

    func list(_ kind: ListKind, client: RouteClient, params: JSONValue?) async throws(JSONRPCErrorObject) -> JSONValue {
        let cursor = params?["cursor"]?.stringValue
        let all = await visibleItems(kind, client: client)
        guard let page = ClientView.page(all, cursor: cursor) else {
            throw JSONRPCErrorObject(code: JSONRPCErrorObject.invalidParams, message: "invalid cursor")
        }
        var result: JSONObject = [kind.resultKey: .array(Array(page.items))]
        if let next = page.next { result["nextCursor"] = .string(next) }
        return .object(result)
    }

    /// Every item of `kind` the client may see, all servers, in server order. A server that
    /// cannot be reached is left out (and logged) rather than failing the whole list.
    func visibleItems(_ kind: ListKind, client: RouteClient) async -> [JSONValue] {
        let servers = routes.table.servers.filter { Access.mayReach(client, server: $0.name, kind: ChangeHub.access(kind)) }
        var out: [JSONValue] = []
        for server in servers {
            guard let backend = pool.backend(server.name) else { continue }
            do {
                let items = try await backend.list(kind)
                out.append(contentsOf: ClientView.visible(items, server: server.name, kind: kind, client: client))
            } catch {
                logger.warning("list from a backend failed", metadata: ["server": "\(server.name)", "list": "\(kind.method)", "error": "\(error)"])
            }
        }
        return out
    }

    // MARK: Calls

    func callTool(id: JSONValue, params: JSONValue?, client: RouteClient, context: CallContext,
                  emit: @escaping @Sendable (JSONRPCMessage) -> Void) async -> JSONRPCMessage {
        let started = Date()
        let clock = ContinuousClock.now
        guard case .object(var object) = params, let qualified = object["name"]?.stringValue else {
            return .error(id: id, error: JSONRPCErrorObject(code: JSONRPCErrorObject.invalidParams, message: "tools/call needs params.name"))
        }
        let arguments = object["arguments"] ?? .object([:])
        let argumentsHash = sha256Hex(arguments.canonicalBytes)
        let split = GatewayName.split(qualified)
        let server = split?.server ?? ""
        let tool = split?.name ?? qualified

        func audit(_ decision: AuditToolCall.Decision, _ outcome: AuditToolCall.Outcome, _ error: String?) async {
            let elapsed = ContinuousClock.now - clock
            let ms = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
            await auditor.record(AuditToolCall(startedAt: started, client: client.name, server: server, tool: tool,
                                               decision: decision, outcome: outcome, durationMs: ms,
                                               argumentsSHA256: argumentsHash, protocolVersion: context.revision.rawValue,
                                               error: error))
            // Names as the client sent them, quoted and escaped: a newline in a tool name must not
            // forge a log line. Arguments are never logged, only their hash is audited.
            logger.debug("tool call", metadata: ["client": "\(client.name)", "server": "\(server.debugDescription)",
                                                 "tool": "\(tool.debugDescription)", "decision": "\(decision.rawValue)",
                                                 "outcome": "\(outcome.rawValue)", "ms": "\(ms)"])
        }

        guard let split, let route = route(split.server), let backend = pool.backend(split.server),
              Access.allows(client, server: split.server, kind: .tool, name: split.name) else {
            await audit(.denied, .denied, "not permitted by policy")
            return .error(id: id, error: JSONRPCErrorObject(code: JSONRPCErrorObject.invalidParams,
                                                            message: "Unknown tool: \(qualified) is not available to this client"))
        }
        // Only tools the server lists are forwarded: a name a wildcard allows but the server does
        // not offer (`weather__get__x`) never reaches it.
        let timeout = Duration.milliseconds(route.timeoutMilliseconds)
        let offered: [JSONValue]
        do throws(BackendError) {
            // The server's timeout bounds the whole call, including connecting to a backend
            // that is (re)starting to learn its tools.
            if let cached = backend.cachedList(.tools) {
                offered = cached
            } else {
                offered = try await Self.within(timeout, server: split.server) { () async throws(BackendError) in try await backend.list(.tools) }
            }
        } catch {
            let (outcome, message) = Self.describe(error)
            await audit(.allowed, outcome, message)
            return .error(id: id, error: JSONRPCErrorObject(code: JSONRPCErrorObject.internalError, message: message))
        }
        guard offered.contains(where: { $0["name"]?.stringValue == split.name }) else {
            await audit(.denied, .denied, "the server offers no such tool")
            return .error(id: id, error: JSONRPCErrorObject(code: JSONRPCErrorObject.invalidParams,
                                                            message: "Unknown tool: \(qualified) is not available to this client"))
        }
        object["name"] = .string(split.name)
        do throws(BackendError) {
            let remaining = timeout - (ContinuousClock.now - clock)
            guard remaining > .zero else { throw .timeout(server: split.server, after: timeout) }
            let answer = try await backend.send(.request(id: id, method: "tools/call", params: .object(object)),
                                                timeout: remaining, onNotification: emit)
            switch answer {
            case .response(_, let result):
                let isError = result["isError"]?.boolValue == true
                await audit(.allowed, isError ? .toolError : .ok, nil)
            case .error(_, let error):
                await audit(.allowed, .protocolError, "\(error.code): \(error.message)")
            default:
                await audit(.allowed, .protocolError, "unexpected message from the server")
            }
            return answer
        } catch {
            // The backend was given what was left of the server's timeout (listing the tools
            // took some) and names that remainder ("within 2.99080398 seconds"); the caller and
            // the audit are told the timeout the manifest set.
            var error = error
            if case .timeout(let server, _) = error { error = .timeout(server: server, after: timeout) }
            let (outcome, message) = Self.describe(error)
            await audit(.allowed, outcome, message)
            return .error(id: id, error: JSONRPCErrorObject(code: JSONRPCErrorObject.internalError, message: message))
        }
    }

    /// `operation`, or `.timeout` once `timeout` has passed (the operation is then cancelled).
    static func within<T: Sendable>(_ timeout: Duration, server: String,
                                    _ operation: @escaping @Sendable () async throws(BackendError) -> T) async throws(BackendError) -> T {
        let result = await withTaskGroup(of: Result<T, BackendError>?.self) { group in
            group.addTask {
                do throws(BackendError) { return .success(try await operation()) } catch { return .failure(error) }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return Task.isCancelled ? nil : .failure(.timeout(server: server, after: timeout))
            }
            defer { group.cancelAll() }
            while let next = await group.next() {
                if let next { return next }
            }
            return .failure(.cancelled)
        }
        return try result.get()
    }

    static func describe(_ error: BackendError) -> (AuditToolCall.Outcome, String) {
        switch error {
        case .timeout(let server, let after):
            return (.timeout, "server \(server) did not answer within \(after)")
        case .unavailable(let server, let reason):
            return (.unavailable, "server \(server) is unavailable: \(reason)")
        case .protocolViolation(let server, let reason):
            return (.protocolError, "server \(server) broke the protocol: \(reason)")
        case .cancelled:
            return (.protocolError, "the request was cancelled")
        }
    }

    func forwardNamed(id: JSONValue, method: String, params: JSONValue?, client: RouteClient, kind: AccessKind,
                      emit: @escaping @Sendable (JSONRPCMessage) -> Void) async throws(JSONRPCErrorObject) -> JSONRPCMessage {
        guard case .object(var object) = params, let qualified = object["name"]?.stringValue,
              let split = GatewayName.split(qualified), let route = route(split.server), let backend = pool.backend(split.server),
              Access.allows(client, server: split.server, kind: kind, name: split.name) else {
            throw JSONRPCErrorObject(code: JSONRPCErrorObject.invalidParams, message: "unknown \(kind.rawValue)")
        }
        object["name"] = .string(split.name)
        return try await forward(backend, route, .request(id: id, method: method, params: .object(object)), emit: emit)
    }

    /// Resources keep their URIs; a URI is routed to the server that lists it.
    func forwardResource(id: JSONValue, method: String, params: JSONValue?, client: RouteClient,
                         emit: @escaping @Sendable (JSONRPCMessage) -> Void) async throws(JSONRPCErrorObject) -> JSONRPCMessage {
        guard let uri = params?["uri"]?.stringValue else {
            throw JSONRPCErrorObject(code: JSONRPCErrorObject.invalidParams, message: "\(method) needs params.uri")
        }
        for server in routes.table.servers where Access.allows(client, server: server.name, kind: .resource, name: uri) {
            guard let backend = pool.backend(server.name),
                  let items = try? await backend.list(.resources),
                  items.contains(where: { $0["uri"]?.stringValue == uri }) else { continue }
            return try await forward(backend, server, .request(id: id, method: method, params: params), emit: emit)
        }
        throw JSONRPCErrorObject(code: -32002, message: "Resource not found", data: .object(["uri": .string(uri)]))
    }

    func forward(_ backend: any MCPBackend, _ route: RouteServer, _ request: JSONRPCMessage,
                 emit: @escaping @Sendable (JSONRPCMessage) -> Void) async throws(JSONRPCErrorObject) -> JSONRPCMessage {
        do throws(BackendError) {
            return try await backend.send(request, timeout: .milliseconds(route.timeoutMilliseconds), onNotification: emit)
        } catch {
            throw JSONRPCErrorObject(code: JSONRPCErrorObject.internalError, message: Self.describe(error).1)
        }
    }
}
