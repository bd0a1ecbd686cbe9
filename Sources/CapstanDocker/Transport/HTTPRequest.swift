/// One request to the engine. `path` already carries the `/v1.XX` prefix where it needs one.
struct HTTPRequest: Sendable {
    enum Method: String, Sendable { case get = "GET", post = "POST", delete = "DELETE" }

    var method: Method
    var path: String
    var query: [(name: String, value: String)] = []
    var body: [UInt8]? = nil
    var contentType: String? = nil

    /// Method and path only: the query may carry build arguments, which must not reach errors.
    var endpoint: String { "\(method.rawValue) \(path)" }

    var target: String {
        query.isEmpty ? path : path + "?" + QueryString.encode(query)
    }
}

struct HTTPResponse: Sendable {
    /// The request's `endpoint`, for errors about this response.
    var endpoint: String
    var status: Int
    /// Empty when the body was handed to a streaming sink instead.
    var body: [UInt8]
}
