import ArgumentParser
import CapstanAudit
import CapstanCore
import CapstanDocker
import CapstanGateway
import CapstanGit
import CapstanReconciler
import CapstanServer
import Foundation
import Logging
import ServiceLifecycle

struct ControllerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "controller",
        abstract: "Follow a branch of a git remote and keep this Docker host converged.",
        discussion: """
            Fetches the remote on every poll, webhook or manual sync, validates, plans and applies; \
            watches Docker events and brings back containers that die or are removed; stops \
            restarting a server that crashes more than --restart-limit times in --restart-window. A \
            commit that fails validation changes nothing. Serves status, health, metrics, the \
            webhook and manual sync over HTTP on --listen (loopback by default). One controller \
            per state directory.

            Examples:
              capstan controller --repo https://git.example.com/team/mcp.git --branch main \\
                  --token-file /etc/capstan/git-token --webhook-secret-file /etc/capstan/webhook-secret \\
                  --admin-token-file /etc/capstan/admin-token --secrets-dir /etc/capstan/secrets
              curl -s 127.0.0.1:7070/api/v1/status | jq .lastAppliedRevision
            """
    )

    @Option(help: "The repository to follow: a URL (https://, git://, ssh://, file://) or a path.")
    var repo: String

    @Option(help: "The branch to follow.")
    var branch = "main"

    @OptionGroup var engine: EngineOptions

    @Option(help: "File holding a token for an https:// remote (sent as the password; never put it in the URL).")
    var tokenFile: String?

    @Option(help: "Environment variable holding a token for an https:// remote.")
    var tokenEnv: String?

    @Option(help: "Private key file for an ssh:// remote (its host must be in ~/.ssh/known_hosts).")
    var sshKey: String?

    @Option(help: "How often to fetch, e.g. 30s or 5m (jittered by ±10%).")
    var pollInterval = "30s"

    @Option(help: "Where the HTTP API listens (host:port).")
    var listen = "127.0.0.1:7070"

    @Option(help: "File holding the secret that signs webhooks (or set CAPSTAN_WEBHOOK_SECRET).")
    var webhookSecretFile: String?

    @Option(help: "File holding the admin token for POST /api/v1/sync (or set CAPSTAN_ADMIN_TOKEN).")
    var adminTokenFile: String?

    @Option(help: "URL to POST a signed JSON notification to on sync failure, recovery and crash loop.")
    var notifyURL: String?

    @Option(help: "File holding the secret that signs notifications (or set CAPSTAN_NOTIFY_SECRET).")
    var notifySecretFile: String?

    @Option(help: "Restarts allowed per server within --restart-window before it is marked crash-looping.")
    var restartLimit = 5

    @Option(help: "The window of --restart-limit, e.g. 5m.")
    var restartWindow = "5m"

    @Option(help: "How many builds or container actions run at once.")
    var concurrency = 4

    @Option(help: "Where the embedded MCP gateway listens for clients (host:port, loopback).")
    var gatewayListen = "127.0.0.1:8750"

    @Flag(help: "Run without the embedded gateway (routes go to --gateway-admin when given).")
    var noGateway = false

    @Option(name: .customLong("gateway-allowed-origin"), help: "A browser origin the gateway accepts besides loopback ones (repeatable).")
    var gatewayAllowedOrigins: [String] = []

    @Flag(help: "Let --listen name a non-loopback address (put TLS in front; the dashboard then asks remote browsers to sign in).")
    var allowRemote = false

    @Option(help: "Who signs in to the dashboard: remote (browsers not on this host) or always (behind a reverse proxy on this host).")
    var dashboardAuth: DashboardAuth = .remote

    @Flag(help: "Serve no dashboard, only the API.")
    var noDashboard = false

    @OptionGroup var log: LogOptions

    func run() async throws {
        try log.bootstrap()
        let logger = Logger(label: "capstan.controller")
        let state = engine.stateDirectory
        let lock: StateLock
        do {
            lock = try StateLock(stateDirectory: state)
        } catch {
            throw CLIError("\(error)")
        }
        var (pipeline, containerEngine, secrets) = try engine.pipeline()
        let client = try DockerClient()
        // The embedded gateway is the controller's route store; its admin socket lets
        // `capstan plan` on this host see the routes too.
        var gatewayServices: [any Service] = []
        var embedded: (gateway: Gateway, writer: AuditCallWriter)?
        if !noGateway && engine.gatewayAdmin == nil {
            let (gateway, writer) = try GatewayRuntime.make(stateDirectory: state, docker: client)
            let (host, port) = try GatewayRuntime.hostPort(gatewayListen, flag: "--gateway-listen")
            let server: GatewayServer
            do {
                server = try GatewayServer(
                    gateway: gateway, configuration: GatewayConfiguration(host: host, port: port, allowedOrigins: gatewayAllowedOrigins),
                    admin: .unixSocket(path: GatewayRuntime.adminSocket(stateDirectory: state)))
            } catch {
                throw CLIError(GatewayRuntime.describe(error))
            }
            gatewayServices.append(server.makeMCPApplication { bound in
                announce("capstan controller: MCP gateway on http://\(host.contains(":") ? "[\(host)]" : host):\(bound)/mcp")
            })
            if let admin = server.makeAdminApplication() { gatewayServices.append(admin) }
            pipeline.routes = gateway
            embedded = (gateway, writer)
        } else if noGateway && engine.gatewayAdmin == nil {
            pipeline.routes = nil
        }
        var config = Controller.Configuration(repository: RepositoryURL.redacted(repo), branch: branch, instance: engine.instance)
        config.pollInterval = try duration(pollInterval, "--poll-interval")
        config.restartBudget = RestartBudget(limit: restartLimit, window: try duration(restartWindow, "--restart-window"))
        config.concurrency = concurrency
        config.log = { attempt in
            let level: Logger.Level = attempt.failed ? .error : attempt.changes > 0 ? .notice : .debug
            logger.log(level: level, "\(attempt.line.replacingOccurrences(of: "\n", with: "\n    "))")
        }
        if let notifyURL {
            guard let url = URL(string: notifyURL), url.scheme == "http" || url.scheme == "https" else {
                throw ValidationError("--notify-url \"\(notifyURL)\" is not an http(s) URL")
            }
            guard let secret = try readSecret(file: notifySecretFile, env: "CAPSTAN_NOTIFY_SECRET") else {
                throw ValidationError("--notify-url needs --notify-secret-file or CAPSTAN_NOTIFY_SECRET to sign with")
            }
            config.notifier = Notifier(url: url, secret: Array(secret.utf8))
        }
        let controller = Controller(
            config: config,
            fetch: ControllerSources.git(url: repo, branch: branch, stateDirectory: state, credentials: try credentials()),
            events: ControllerSources.docker(client), pipeline: pipeline, engine: containerEngine, secrets: secrets,
            recorder: try AuditRecorder.open(stateDirectory: state))

        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]) else {
            throw ValidationError("--listen \"\(listen)\" is not host:port")
        }
        let serverConfig = ControllerServerConfiguration(
            branch: branch, host: String(listen[..<colon]), port: port, allowRemote: allowRemote,
            webhookSecret: try readSecret(file: webhookSecretFile, env: "CAPSTAN_WEBHOOK_SECRET").map { try WebhookSecret(Array($0.utf8)) },
            adminToken: try readSecret(file: adminTokenFile, env: "CAPSTAN_ADMIN_TOKEN").map { try AdminToken($0) })
        let server: ControllerServer
        do {
            server = try ControllerServer(api: controller, configuration: serverConfig,
                                          dashboard: noDashboard ? nil : try dashboard(state: state, gateway: embedded?.gateway, routes: pipeline.routes))
        } catch let error as ControllerServerError {
            throw CLIError("--listen: \(error)")
        }
        // Last, because a ServiceGroup shuts services down in reverse order: streams end first.
        let endStreams = EndStreamsOnShutdown { [gateway = embedded?.gateway] in
            controller.endEvents()
            gateway?.endStreams()
        }
        let group = ServiceGroup(
            services: [ControllerService(controller: controller), server.makeApplication()] + gatewayServices + [endStreams],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        announce("capstan controller: following \(RepositoryURL.redacted(repo)) \(branch), API on http://\(listen)")
        try await group.run()
        if let embedded {
            await embedded.gateway.shutdown()
            await embedded.writer.close()
        }
        withExtendedLifetime(lock) {}
    }

    /// The dashboard reads the state directory's audit store and, when it runs here, the gateway.
    private func dashboard(state: String, gateway: Gateway?, routes: (any RouteStore)?) throws -> Dashboard {
        let store: AuditStore
        do {
            store = try AuditStore(readingFrom: AuditRecorder.path(stateDirectory: state))
        } catch {
            throw CLIError("the dashboard: \(error)")
        }
        let data = StoreDashboardData(
            store: store,
            routes: { try? await routes?.currentRoutes().table },
            catalog: { await gateway?.toolCatalog() ?? [] })
        return Dashboard(data: data, auth: dashboardAuth)
    }

    private func credentials() throws -> GitCredentials {
        do {
            if let tokenFile { return try GitCredentials.token(fromFile: tokenFile) }
            if let tokenEnv { return try GitCredentials.token(fromEnvironment: tokenEnv) }
            if let sshKey { return try GitCredentials.sshKey(privateKeyPath: sshKey) }
        } catch {
            throw CLIError("\(error)")
        }
        return .none
    }

    private func duration(_ text: String, _ flag: String) throws -> TimeInterval {
        guard let seconds = durationSeconds(text), seconds > 0 else {
            throw ValidationError("\(flag) \"\(text)\" is not a duration such as 30s, 5m or 1h")
        }
        return seconds
    }
}

/// Runs the controller's loop as a service: graceful shutdown lets the apply in flight finish.
struct ControllerService: Service {
    let controller: Controller

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await controller.run()
        }
    }
}
extension DashboardAuth: ExpressibleByArgument {}
