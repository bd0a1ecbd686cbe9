/// One change to the gateway's routes, as a plan shows it:
/// `~ route.alice-claude: +weather__get_alerts` or `+ backend.weather: stdio capstan-weather`.
public struct RouteChange: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable { case create, update, delete }

    public var address: String
    public var kind: Kind
    /// Display-only detail: `+name` / `-name` entries of a client's view, or a backend's endpoint.
    public var details: [String]

    public init(address: String, kind: Kind, details: [String]) {
        self.address = address
        self.kind = kind
        self.details = details
    }
}

/// Routes in a plan: the changes against the gateway's table, and the generation they were
/// computed from (a saved plan applies only while the gateway still holds that generation).
public struct RoutePlan: Sendable, Codable, Equatable {
    public var observedGeneration: Int
    public var changes: [RouteChange]

    public init(observedGeneration: Int, changes: [RouteChange]) {
        self.observedGeneration = observedGeneration
        self.changes = changes
    }
}

public enum RouteDiff {
    public static func changes(desired: RouteTable, observed: RouteTable) -> [RouteChange] {
        var changes: [RouteChange] = []
        let observedServers = Dictionary(observed.servers.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let desiredServers = Set(desired.servers.map(\.name))
        for server in desired.servers {
            let address = "backend.\(server.name)"
            guard let before = observedServers[server.name] else {
                changes.append(RouteChange(address: address, kind: .create, details: [endpoint(server)]))
                continue
            }
            if before != server {
                var details: [String] = []
                if endpoint(before) != endpoint(server) { details.append("\(endpoint(before)) -> \(endpoint(server))") }
                if before.timeoutMilliseconds != server.timeoutMilliseconds {
                    details.append("timeout \(before.timeoutMilliseconds)ms -> \(server.timeoutMilliseconds)ms")
                }
                if before.declaredTools != server.declaredTools { details.append("declared tools changed") }
                changes.append(RouteChange(address: address, kind: .update, details: details))
            }
        }
        for server in observed.servers where !desiredServers.contains(server.name) {
            changes.append(RouteChange(address: "backend.\(server.name)", kind: .delete, details: [endpoint(server)]))
        }

        let observedClients = Dictionary(observed.clients.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let desiredClients = Set(desired.clients.map(\.name))
        for client in desired.clients {
            let address = "route.\(client.name)"
            let after = view(of: client, in: desired)
            guard let previous = observedClients[client.name] else {
                changes.append(RouteChange(address: address, kind: .create, details: after.map { "+" + $0 }))
                continue
            }
            let before = view(of: previous, in: observed)
            var details = after.filter { !before.contains($0) }.map { "+" + $0 }
                + before.filter { !after.contains($0) }.map { "-" + $0 }
            if previous.tokenHash != client.tokenHash { details.insert("token replaced", at: 0) }
            if details.isEmpty && previous != client { details.append("rules reordered") }
            if !details.isEmpty { changes.append(RouteChange(address: address, kind: .update, details: details)) }
        }
        for client in observed.clients where !desiredClients.contains(client.name) {
            changes.append(RouteChange(address: "route.\(client.name)", kind: .delete,
                                       details: view(of: client, in: observed).map { "-" + $0 }))
        }
        return changes
    }

    /// What a client may reach, as display entries: `weather__get_alerts` where the Server
    /// declares its tools, else the patterns (`weather__*`, `!weather__delete_*` for a deny).
    /// Prompts and resources carry a `prompt:` / `resource:` prefix.
    public static func view(of client: RouteClient, in table: RouteTable) -> [String] {
        var entries: [String] = []
        for server in table.servers {
            for kind in AccessKind.allCases {
                guard Access.mayReach(client, server: server.name, kind: kind) else { continue }
                let prefix = kind == .tool ? "" : "\(kind.rawValue):"
                if kind == .tool, let declared = server.declaredTools {
                    for tool in declared where Access.allows(client, server: server.name, kind: .tool, name: tool) {
                        entries.append(GatewayName.join(server: server.name, name: tool))
                    }
                    continue
                }
                var seen: Set<String> = []
                for rule in client.rules where rule.server == "*" || rule.server == server.name {
                    for pattern in rule.patterns(for: kind) {
                        let entry = prefix + (rule.effect == .deny ? "!" : "") + GatewayName.join(server: server.name, name: pattern)
                        if seen.insert(entry).inserted { entries.append(entry) }
                    }
                }
            }
        }
        return entries
    }

    static func endpoint(_ server: RouteServer) -> String {
        switch server.transport {
        case .stdio: "stdio \(server.container ?? "?")"
        case .http: "http \(server.url ?? "?")"
        }
    }
}
