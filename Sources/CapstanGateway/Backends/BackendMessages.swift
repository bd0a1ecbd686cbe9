/// The gateway's side of the MCP conversation with one server, as pure functions over messages:
/// what to send, and what an incoming message means. The backends do the I/O.
enum BackendMessages {
    /// Newest first: initialize asks for the first, and any of them is accepted in the answer.
    static let protocolVersions = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]

    static let clientInfo: JSONValue = .object(["name": .string("capstan-gateway"), "version": .string("1")])

    /// The gateway declares no client capabilities: it does not forward sampling, elicitation
    /// or roots to its clients (see `reply(to:)`).
    static let initializeParams: JSONValue = .object([
        "protocolVersion": .string(protocolVersions[0]),
        "capabilities": .object([:]),
        "clientInfo": clientInfo,
    ])

    static let initialized: JSONRPCMessage = .notification(method: "notifications/initialized", params: nil)

    /// What the server agreed to at initialize: the protocol version, and the whole result
    /// (capabilities, serverInfo, instructions) for `serverCapabilities()`.
    static func accept(initializeAnswer answer: JSONRPCMessage, server: String) throws(BackendError) -> (version: String, result: JSONObject) {
        switch answer {
        case .response(_, let result):
            guard let object = result.objectValue, let version = object["protocolVersion"]?.stringValue else {
                throw .protocolViolation(server: server, reason: "the initialize result has no protocolVersion")
            }
            guard protocolVersions.contains(version) else {
                let known = protocolVersions.reversed().joined(separator: ", ")
                throw .protocolViolation(server: server, reason: "the server speaks MCP \(version); the gateway speaks \(known)")
            }
            return (version, object)
        case .error(_, let error):
            throw .unavailable(server: server, reason: "the server refused initialize: \(error.message) (\(error.code))")
        default:
            throw .protocolViolation(server: server, reason: "the server did not answer initialize")
        }
    }

    static func cancelled(id: Int, reason: String) -> JSONRPCMessage {
        .notification(method: "notifications/cancelled", params: .object(["requestId": .int(id), "reason": .string(reason)]))
    }

    /// The caller's request as the server sees it: the gateway's id, and when the caller asked
    /// for progress, a progress token unique on this backend (the id itself, which is). Returns
    /// the caller's own token so progress can carry it back.
    static func outgoing(method: String, params: JSONValue?, id: Int) -> (message: JSONRPCMessage, callerToken: JSONValue?) {
        guard case .object(var object) = params, case .object(var meta)? = object["_meta"],
              let token = meta["progressToken"] else {
            return (.request(id: .int(id), method: method, params: params), nil)
        }
        meta["progressToken"] = .int(id)
        object["_meta"] = .object(meta)
        return (.request(id: .int(id), method: method, params: .object(object)), token)
    }

    /// What one message from the server asks of the gateway.
    enum Incoming: Equatable {
        /// The answer (response or error) to the gateway's request `id`.
        case answer(id: Int, JSONRPCMessage)
        /// `notifications/progress` for the request whose token (= id) is `token`.
        case progress(token: Int, params: JSONObject)
        /// A request from the server; send `reply` back.
        case request(reply: JSONRPCMessage)
        case listChanged([ListKind])
        /// Any other notification (logging, resources/updated, …): not tied to a request.
        case notification(JSONRPCMessage)
        /// Nothing to do: an error without an id, an answer nobody waits for.
        case ignored(JSONRPCMessage)
    }

    static func classify(_ message: JSONRPCMessage) -> Incoming {
        switch message {
        case .response(let id, _), .error(let id?, _):
            guard let id = id.intValue else { return .ignored(message) }
            return .answer(id: id, message)
        case .error(nil, _):
            return .ignored(message)
        case .request(let id, let method, _):
            return .request(reply: reply(to: method, id: id))
        case .notification(let method, let params):
            switch method {
            case "notifications/progress":
                guard let object = params?.objectValue, let token = object["progressToken"]?.intValue else {
                    return .notification(message)
                }
                return .progress(token: token, params: object)
            // The server cancelling its own request: the gateway already answered it.
            case "notifications/cancelled": return .ignored(message)
            default:
                let kinds = ListKind.allCases.filter { $0.changedNotification == method }
                return kinds.isEmpty ? .notification(message) : .listChanged(kinds)
            }
        }
    }

    /// The gateway answers the server's own requests itself: a request from a shared backend
    /// cannot be attributed to one client, so it is refused at once rather than left hanging.
    static func reply(to method: String, id: JSONValue) -> JSONRPCMessage {
        if method == "ping" { return .response(id: id, result: .object([:])) }
        return .error(id: id, error: JSONRPCErrorObject(
            code: JSONRPCErrorObject.methodNotFound,
            message: "the Capstan gateway does not forward \(method) to its clients"))
    }

    /// The server's answer with the caller's id in place of the gateway's.
    static func restoring(_ answer: JSONRPCMessage, callerID: JSONValue) -> JSONRPCMessage {
        switch answer {
        case .response(_, let result): .response(id: callerID, result: result)
        case .error(_, let error): .error(id: callerID, error: error)
        default: answer
        }
    }

    /// A progress notification with the caller's token in place of the gateway's.
    static func restoring(progress params: JSONObject, callerToken: JSONValue) -> JSONRPCMessage {
        var params = params
        params["progressToken"] = callerToken
        return .notification(method: "notifications/progress", params: .object(params))
    }

    /// Messages in one line or body: a message, or a batch (an array of them).
    static func decode(_ bytes: some Collection<UInt8>) -> [JSONRPCMessage]? {
        guard let value = try? JSONParser.parse(bytes) else { return nil }
        if case .array(let items) = value {
            let messages = items.compactMap { try? JSONRPCMessage($0) }
            return messages.count == items.count ? messages : nil
        }
        guard let message = try? JSONRPCMessage(value) else { return nil }
        return [message]
    }

    /// One list page request, and what its answer holds.
    static func listParams(cursor: String?) -> JSONValue? {
        cursor.map { .object(["cursor": .string($0)]) }
    }

    static func listPage(_ answer: JSONRPCMessage, kind: ListKind, server: String) throws(BackendError) -> (items: [JSONValue], next: String?) {
        switch answer {
        case .response(_, let result):
            guard let items = result[kind.resultKey]?.arrayValue else {
                throw .protocolViolation(server: server, reason: "\(kind.method) answered without \"\(kind.resultKey)\"")
            }
            return (items, result["nextCursor"]?.stringValue)
        case .error(_, let error):
            throw .protocolViolation(server: server, reason: "\(kind.method) failed: \(error.message) (\(error.code))")
        default:
            throw .protocolViolation(server: server, reason: "\(kind.method) got no answer")
        }
    }

    /// Whether the server advertised the capability behind a list; one that did not is not asked.
    static func offers(_ kind: ListKind, initializeResult: JSONObject) -> Bool {
        let capabilities = initializeResult["capabilities"]?.objectValue ?? [:]
        switch kind {
        case .tools: return capabilities["tools"] != nil
        case .prompts: return capabilities["prompts"] != nil
        case .resources, .resourceTemplates: return capabilities["resources"] != nil
        }
    }
}
