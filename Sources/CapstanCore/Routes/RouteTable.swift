/// The gateway's state: where each server lives and what each client may reach. The reconciler
/// computes it from the manifests and replaces the gateway's copy through its admin API; the
/// gateway serves from it. It holds token hashes, never tokens.
public struct RouteTable: Sendable, Codable, Hashable {
    public var servers: [RouteServer]
    public var clients: [RouteClient]

    public init(servers: [RouteServer] = [], clients: [RouteClient] = []) {
        self.servers = servers.sorted { $0.name < $1.name }
        self.clients = clients.sorted { $0.name < $1.name }
    }

    public func server(named name: String) -> RouteServer? { servers.first { $0.name == name } }
    public func client(named name: String) -> RouteClient? { clients.first { $0.name == name } }
}

public struct RouteServer: Sendable, Codable, Hashable {
    public enum Transport: String, Sendable, Codable { case stdio, http }

    public var name: String
    public var transport: Transport
    /// stdio: the container the gateway attaches to.
    public var container: String?
    /// http: the loopback URL of the server's MCP endpoint.
    public var url: String?
    public var timeoutMilliseconds: Int
    /// The tools the Server manifest says it offers, when it says so; shown in plans.
    public var declaredTools: [String]?

    public init(name: String, transport: Transport, container: String? = nil, url: String? = nil,
                timeoutMilliseconds: Int, declaredTools: [String]? = nil) {
        self.name = name
        self.transport = transport
        self.container = container
        self.url = url
        self.timeoutMilliseconds = timeoutMilliseconds
        self.declaredTools = declaredTools
    }
}

public struct RouteClient: Sendable, Codable, Hashable {
    public var name: String
    /// `sha256:<hex>` of the client's bearer token.
    public var tokenHash: String
    /// Every rule of every Policy that covers this client, in manifest order.
    public var rules: [RouteRule]

    public init(name: String, tokenHash: String, rules: [RouteRule]) {
        self.name = name
        self.tokenHash = tokenHash
        self.rules = rules
    }
}

public struct RouteRule: Sendable, Codable, Hashable {
    public enum Effect: String, Sendable, Codable { case allow, deny }

    /// A server name or `*`.
    public var server: String
    public var tools: [String]
    public var prompts: [String]
    public var resources: [String]
    public var effect: Effect
    /// The policy the rule comes from, for explanations.
    public var policy: String

    public init(server: String, tools: [String], prompts: [String] = [], resources: [String] = [],
                effect: Effect, policy: String) {
        self.server = server
        self.tools = tools
        self.prompts = prompts
        self.resources = resources
        self.effect = effect
        self.policy = policy
    }
}

/// The route table as the gateway holds it, with the generation that `If-Match` names.
public struct VersionedRouteTable: Sendable, Codable, Hashable {
    public var generation: Int
    public var table: RouteTable

    public init(generation: Int, table: RouteTable) {
        self.generation = generation
        self.table = table
    }
}
