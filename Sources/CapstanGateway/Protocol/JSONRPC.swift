/// A JSON-RPC 2.0 error object; codes follow the JSON-RPC and MCP specifications.
public struct JSONRPCErrorObject: Sendable, Hashable, Error {
    public var code: Int
    public var message: String
    public var data: JSONValue?

    public init(code: Int, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    public static let parseError = -32700
    public static let invalidRequest = -32600
    public static let methodNotFound = -32601
    public static let invalidParams = -32602
    public static let internalError = -32603

    public var json: JSONValue {
        var object: JSONObject = ["code": .int(code), "message": .string(message)]
        if let data { object["data"] = data }
        return .object(object)
    }
}

/// One JSON-RPC message, classified. Ids stay `JSONValue` (a string or a number, as sent) so they
/// go back to the peer exactly as it wrote them.
public enum JSONRPCMessage: Sendable, Hashable {
    case request(id: JSONValue, method: String, params: JSONValue?)
    case notification(method: String, params: JSONValue?)
    case response(id: JSONValue, result: JSONValue)
    case error(id: JSONValue?, error: JSONRPCErrorObject)

    /// Classifies a parsed value; anything that is not a well-formed message is `invalidRequest`.
    public init(_ value: JSONValue) throws(JSONRPCErrorObject) {
        guard case .object(let object) = value else {
            throw JSONRPCErrorObject(code: JSONRPCErrorObject.invalidRequest, message: "a JSON-RPC message must be an object")
        }
        guard object["jsonrpc"] == .string("2.0") else {
            throw JSONRPCErrorObject(code: JSONRPCErrorObject.invalidRequest, message: "\"jsonrpc\" must be \"2.0\"")
        }
        let id = object["id"]
        // JSON-RPC 2.0 answers a request whose id could not be read with an error whose id is
        // null (the gateway writes such refusals itself); only there is null a valid id. Refusing
        // it lost the reason of every refusal the gateway sent the bridge.
        let unknownRequestError = id == .null && object["method"] == nil && object["result"] == nil && object["error"] != nil
        if let id, !unknownRequestError, !Self.isValidID(id) {
            throw JSONRPCErrorObject(code: JSONRPCErrorObject.invalidRequest, message: "\"id\" must be a string or a number")
        }
        if let methodValue = object["method"] {
            guard case .string(let method) = methodValue else {
                throw JSONRPCErrorObject(code: JSONRPCErrorObject.invalidRequest, message: "\"method\" must be a string")
            }
            let params = object["params"]
            if let params {
                switch params {
                case .object, .array: break
                default: throw JSONRPCErrorObject(code: JSONRPCErrorObject.invalidRequest, message: "\"params\" must be an object or an array")
                }
            }
            if let id { self = .request(id: id, method: method, params: params) } else { self = .notification(method: method, params: params) }
            return
        }
        if let result = object["result"], let id {
            self = .response(id: id, result: result)
            return
        }
        if let errorValue = object["error"], case .object(let error) = errorValue,
           let code = error["code"]?.intValue, let message = error["message"]?.stringValue {
            self = .error(id: id == .null ? nil : id, error: JSONRPCErrorObject(code: code, message: message, data: error["data"]))
            return
        }
        throw JSONRPCErrorObject(code: JSONRPCErrorObject.invalidRequest, message: "not a request, notification or response")
    }

    static func isValidID(_ id: JSONValue) -> Bool {
        switch id {
        case .string: return true
        case .number(let text): return !text.utf8.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
        default: return false
        }
    }

    public var json: JSONValue {
        switch self {
        case .request(let id, let method, let params):
            var object: JSONObject = ["jsonrpc": .string("2.0"), "id": id, "method": .string(method)]
            if let params { object["params"] = params }
            return .object(object)
        case .notification(let method, let params):
            var object: JSONObject = ["jsonrpc": .string("2.0"), "method": .string(method)]
            if let params { object["params"] = params }
            return .object(object)
        case .response(let id, let result):
            return .object(["jsonrpc": .string("2.0"), "id": id, "result": result])
        case .error(let id, let error):
            return .object(["jsonrpc": .string("2.0"), "id": id ?? .null, "error": error.json])
        }
    }

    public var method: String? {
        switch self {
        case .request(_, let method, _), .notification(let method, _): return method
        default: return nil
        }
    }
}
