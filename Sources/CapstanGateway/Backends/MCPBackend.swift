/// How the gateway reaches one MCP server. The gateway holds one backend per server and shares
/// it among all clients: the backend owns the server-side session (initialized once), remaps
/// request ids, and keeps the server's lists cached.
public protocol MCPBackend: AnyObject, Sendable {
    var server: String { get }

    /// Sends one request on behalf of a client and waits for the server's answer: `.response`
    /// or `.error`, carrying the id the caller passed in `request`, never the backend's own.
    /// Notifications the server sends about this request (progress, with the caller's own
    /// progress token restored) go to `onNotification`. Cancelling the calling task cancels the
    /// request at the server (`notifications/cancelled`). Fails with `.timeout` after `timeout`,
    /// and with `.unavailable` within a second when the server goes away.
    func send(_ request: JSONRPCMessage, timeout: Duration,
              onNotification: @escaping @Sendable (JSONRPCMessage) -> Void) async throws(BackendError) -> JSONRPCMessage

    /// Every item of a list method (`tools/list`, `prompts/list`, `resources/list`,
    /// `resources/templates/list`), all pages, cached until the server says the list changed.
    func list(_ kind: ListKind) async throws(BackendError) -> [JSONValue]

    /// The list if it is cached now, without waiting; nil when it would have to be fetched.
    func cachedList(_ kind: ListKind) -> [JSONValue]?

    /// What the server advertised at initialize (capabilities, serverInfo), once connected.
    func serverCapabilities() async throws(BackendError) -> JSONObject

    /// Called when one of the server's lists changes (after the cache is dropped).
    func onListChanged(_ handler: @escaping @Sendable (ListKind) -> Void)

    /// Closes the session; calls in flight fail with `.unavailable`.
    func close() async
}

public enum ListKind: String, Sendable, CaseIterable {
    case tools
    case prompts
    case resources
    case resourceTemplates

    public var method: String {
        switch self {
        case .tools: "tools/list"
        case .prompts: "prompts/list"
        case .resources: "resources/list"
        case .resourceTemplates: "resources/templates/list"
        }
    }

    /// The member of a list result that holds the items.
    public var resultKey: String {
        switch self {
        case .tools: "tools"
        case .prompts: "prompts"
        case .resources: "resources"
        case .resourceTemplates: "resourceTemplates"
        }
    }

    public var changedNotification: String? {
        switch self {
        case .tools: "notifications/tools/list_changed"
        case .prompts: "notifications/prompts/list_changed"
        case .resources, .resourceTemplates: "notifications/resources/list_changed"
        }
    }
}

public enum BackendError: Error, Sendable, Equatable {
    /// The server cannot be reached or went away; `reason` is for people and holds no secrets.
    case unavailable(server: String, reason: String)
    case timeout(server: String, after: Duration)
    /// The server answered with something that is not MCP.
    case protocolViolation(server: String, reason: String)
    case cancelled
}
