/// How one POST to the gateway went, as far as the bridge cares: whether the app has its
/// answer, whether the message can be sent again safely, or what to tell the app.
enum BridgePostOutcome: Sendable, Equatable {
    /// The answer to the request (a response or an error), as the gateway sent it.
    case answered(JSONValue)
    /// A notification or response the gateway took (2xx).
    case accepted
    /// The gateway never saw the message (connection refused, or it could not be written):
    /// safe to send again.
    case notDelivered(String)
    /// The connection broke after the message went out and before any response: the gateway
    /// went away, and may or may not have acted on it.
    case lostBeforeResponse(String)
    /// The connection broke in the middle of the response: the gateway was acting on it.
    case lostInFlight(String)
    /// HTTP 404 for the session the message carried: the gateway forgot it (restarted); the
    /// message was not acted on.
    case sessionGone
    /// HTTP 401: the token was refused.
    case unauthorized
    /// Any other refusal: the HTTP status, and the JSON-RPC error the gateway gave, if any.
    case rejected(status: Int, error: JSONRPCErrorObject?)
    /// A 2xx response without the answer.
    case noAnswer(status: Int)

    /// What a finished exchange amounts to. `status` is 0 when no response head arrived;
    /// `failure` says why the response was cut short, if it was.
    static func classify(status: Int, failure: String?, sentSessionID: Bool, isRequest: Bool,
                         answer: JSONValue?, transportError: JSONRPCErrorObject?) -> BridgePostOutcome {
        if let answer { return .answered(answer) }
        if let failure { return status == 0 ? .lostBeforeResponse(failure) : .lostInFlight(failure) }
        switch status {
        case 401: return .unauthorized
        case 404 where sentSessionID: return .sessionGone
        case 200..<300: return isRequest ? .noAnswer(status: status) : .accepted
        default: return .rejected(status: status, error: transportError)
        }
    }
}

/// The JSON-RPC errors the bridge itself gives the app. They use -32000, the code MCP SDKs
/// use for a closed connection, with `data.reason` saying which case it is; messages never
/// carry the token.
enum BridgeReplies {
    static let code = -32000

    static func error(id: JSONValue, _ error: JSONRPCErrorObject) -> JSONValue {
        JSONRPCMessage.error(id: id, error: error).json
    }

    static func failure(_ failure: BridgeLink.Failure, url: String, waited: Duration?) -> JSONRPCErrorObject {
        switch failure {
        case .unauthorized:
            return tokenRefused
        case .refused(let error):
            return error
        case .unreachable(let reason):
            let after = waited.map { " (retried for \(seconds($0)))" } ?? ""
            return JSONRPCErrorObject(code: code, message: "the Capstan gateway at \(url) is not reachable\(after): \(reason)",
                                      data: reasonData("gateway-unreachable"))
        }
    }

    static let tokenRefused = JSONRPCErrorObject(
        code: code,
        message: "the Capstan gateway refused the bridge's token (HTTP 401): check the file of --token-file or the variable of --token-env",
        data: reasonData("token-refused", status: 401))

    static func unreachable(url: String, waited: Duration, lastFailure: BridgeLink.Failure?) -> JSONRPCErrorObject {
        failure(lastFailure ?? .unreachable("no session within the retry time"), url: url, waited: waited)
    }

    static func lostInFlight(_ reason: String) -> JSONRPCErrorObject {
        JSONRPCErrorObject(code: code, message: "the connection to the Capstan gateway broke during the request (it may have run): \(reason)",
                           data: reasonData("connection-lost"))
    }

    /// A refusal without a usable JSON-RPC error, or a 2xx without the answer.
    static func httpStatus(_ status: Int, _ error: JSONRPCErrorObject?) -> JSONRPCErrorObject {
        if let error { return error }
        return JSONRPCErrorObject(code: code, message: "the Capstan gateway answered HTTP \(status) without a JSON-RPC answer",
                                  data: reasonData("http-status", status: status))
    }

    static func invalid(_ error: JSONRPCErrorObject) -> JSONValue {
        JSONRPCMessage.error(id: nil, error: error).json
    }

    private static func reasonData(_ reason: String, status: Int? = nil) -> JSONValue {
        var object: JSONObject = ["reason": .string(reason)]
        if let status { object["httpStatus"] = .int(status) }
        return .object(object)
    }

    private static func seconds(_ duration: Duration) -> String {
        let (whole, fraction) = duration.components
        let tenths = fraction / 100_000_000_000_000_000
        return tenths == 0 ? "\(whole)s" : "\(whole).\(tenths)s"
    }
}
