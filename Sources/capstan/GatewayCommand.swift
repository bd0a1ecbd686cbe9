import ArgumentParser
import CapstanDocker
import CapstanGateway
import Foundation
import ServiceLifecycle

struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Run the MCP gateway alone, for a controller elsewhere to route through its admin API.",
        discussion: """
            Clients connect to http://<listen>/mcp with `Authorization: Bearer <token>`; each sees \
            the tools its policies allow, named <server>__<tool>. Every tools/call is written to the \
            audit store of --state-dir. The routes come from the reconciler through the admin API: \
            a unix socket (default <state-dir>/gateway.sock, mode 0600) or loopback TCP with an \
            admin token. `capstan controller` runs this gateway in-process by default; run it alone \
            to restart the controller without dropping clients.

            Examples:
              capstan gateway --listen 127.0.0.1:8750
              capstan controller --repo … --gateway-admin unix:$HOME/.local/state/capstan/gateway.sock
              claude mcp add --transport http capstan http://127.0.0.1:8750/mcp --header "Authorization: Bearer $TOKEN"
            """
    )

    @Option(help: "Where clients connect (host:port; loopback unless --allow-remote).")
    var listen = "127.0.0.1:8750"

    @Option(help: "The admin API's unix socket (default: <state-dir>/gateway.sock).")
    var adminSocket: String?

    @Option(help: "Serve the admin API on loopback TCP (host:port) instead of a unix socket; needs --admin-token-file.")
    var adminListen: String?

    @Option(help: "File holding the admin API's token for --admin-listen (or set CAPSTAN_GATEWAY_ADMIN_TOKEN).")
    var adminTokenFile: String?

    @Option(name: .customLong("allowed-origin"), help: "A browser origin allowed to call the gateway besides loopback ones (repeatable).")
    var allowedOrigins: [String] = []

    @Flag(help: "Allow --listen on a non-loopback address (put TLS in front of it).")
    var allowRemote = false

    @Option(help: "State directory: audit store and the last routes (default: $CAPSTAN_STATE_DIR or ~/.local/state/capstan).")
    var stateDir: String?

    @OptionGroup var log: LogOptions

    func run() async throws {
        try log.bootstrap()
        var options = EngineOptions()
        options.stateDir = stateDir
        let state = options.stateDirectory
        let docker: DockerClient
        do {
            docker = try DockerClient(host: nil)
        } catch {
            throw CLIError("cannot use the Docker engine: \(error)")
        }
        let (gateway, writer) = try GatewayRuntime.make(stateDirectory: state, docker: docker)
        let (host, port) = try GatewayRuntime.hostPort(listen, flag: "--listen")
        let admin: GatewayServer.Admin
        if let adminListen {
            let (adminHost, adminPort) = try GatewayRuntime.hostPort(adminListen, flag: "--admin-listen")
            guard let token = try readSecret(file: adminTokenFile, env: "CAPSTAN_GATEWAY_ADMIN_TOKEN") else {
                throw ValidationError("--admin-listen needs --admin-token-file or CAPSTAN_GATEWAY_ADMIN_TOKEN")
            }
            admin = .loopback(host: adminHost, port: adminPort, token: token)
        } else {
            admin = .unixSocket(path: adminSocket ?? GatewayRuntime.adminSocket(stateDirectory: state))
        }
        let server: GatewayServer
        do {
            server = try GatewayServer(gateway: gateway,
                                       configuration: GatewayConfiguration(host: host, port: port, allowedOrigins: allowedOrigins),
                                       admin: admin, allowRemote: allowRemote)
        } catch {
            throw CLIError(GatewayRuntime.describe(error))
        }
        // Pipes and files get each line as it is printed, so a supervisor sees the endpoint.
        var services: [any Service] = [server.makeMCPApplication { bound in
            announce("capstan gateway: MCP endpoint on http://\(host.contains(":") ? "[\(host)]" : host):\(bound)/mcp")
        }]
        if let adminApp = server.makeAdminApplication() { services.append(adminApp) }
        // Last, because a ServiceGroup shuts services down in reverse order: streams end first.
        services.append(EndStreamsOnShutdown(end: gateway.endStreams))
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: .init(label: "capstan.gateway"))
        try await group.run()
        await gateway.shutdown()
        await writer.close()
    }
}
