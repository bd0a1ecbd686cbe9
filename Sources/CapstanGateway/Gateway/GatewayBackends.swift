import CapstanCore
import CapstanDocker

/// The real backends: stdio servers through Docker attach, http servers over loopback.
public enum GatewayBackends {
    public static func factory(docker: DockerClient) -> @Sendable (RouteServer) -> any MCPBackend {
        { route in
            switch route.transport {
            case .stdio:
                return StdioBackend(server: route.name, container: route.container ?? route.name, docker: docker)
            case .http:
                return HTTPBackend(server: route.name, url: route.url ?? "http://127.0.0.1/mcp")
            }
        }
    }
}
