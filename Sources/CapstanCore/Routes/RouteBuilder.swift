/// The route table the manifests ask for. Pure: a function of valid manifests and the instance.
public enum RouteBuilder {
    public static func build(manifests: ManifestSet, instance: String) -> RouteTable {
        let servers = manifests.servers.map { server -> RouteServer in
            let name = server.metadata.name.value
            let declared = server.tools?.map(\.value)
            switch server.transport {
            case .stdio:
                return RouteServer(name: name, transport: .stdio,
                                   container: Planner.containerName(instance: instance, server: name),
                                   timeoutMilliseconds: server.timeoutMilliseconds, declaredTools: declared)
            case .http:
                return RouteServer(name: name, transport: .http,
                                   url: "http://127.0.0.1:\(server.port ?? 80)\(server.path ?? "/mcp")",
                                   timeoutMilliseconds: server.timeoutMilliseconds, declaredTools: declared)
            }
        }
        let clients = manifests.clients.map { client -> RouteClient in
            let rules = manifests.policies.filter { covers($0, client) }.flatMap { policy in
                policy.rules.map { rule in
                    RouteRule(server: rule.server.value, tools: rule.tools.map(\.value), prompts: rule.prompts.map(\.value),
                              resources: rule.resources.map(\.value), effect: rule.effect == .allow ? .allow : .deny,
                              policy: policy.metadata.name.value)
                }
            }
            return RouteClient(name: client.metadata.name.value, tokenHash: client.tokenHash, rules: rules)
        }
        return RouteTable(servers: servers, clients: clients)
    }

    static func covers(_ policy: Policy, _ client: Client) -> Bool {
        let name = client.metadata.name.value
        if policy.clients.contains(where: { $0.value == name }) { return true }
        guard let selector = policy.matchLabels, !selector.isEmpty else { return false }
        let labels = client.metadata.labels.dictionary
        return selector.allSatisfy { labels[$0.key.value] == $0.value.value }
    }
}
