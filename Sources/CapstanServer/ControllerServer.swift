import CapstanReconciler
import Hummingbird
import Logging

/// The controller's HTTP API: `/healthz`, `/readyz`, `/metrics`, `GET /api/v1/status`,
/// `POST /api/v1/webhook` and `POST /api/v1/sync`, and the read-only dashboard when given one.
///
/// The application it builds is a `Service`: run it in the controller's `ServiceGroup`, which
/// shuts it down gracefully (in-flight requests finish, the listener closes).
public struct ControllerServer: Sendable {
    public let configuration: ControllerServerConfiguration
    private let api: any ControllerAPI
    private let dashboard: Dashboard?
    private let logger: Logger

    /// Throws when the configuration is unusable, e.g. a non-loopback host without
    /// `allowRemote`.
    public init(
        api: any ControllerAPI,
        configuration: ControllerServerConfiguration,
        dashboard: Dashboard? = nil,
        logger: Logger = Logger(label: "capstan.controller.http")
    ) throws(ControllerServerError) {
        try configuration.validate()
        self.api = api
        self.dashboard = dashboard
        self.configuration = configuration
        self.logger = logger
    }

    /// Builds the Hummingbird application.
    ///
    /// - Parameter onServerRunning: called once the listener is bound, with the bound port
    ///   (the one the system chose when `port` is 0).
    public func makeApplication(
        onServerRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let responder = ControllerResponder(
            api: api,
            webhook: configuration.webhookSecret.map {
                WebhookEvaluator(secret: $0, branch: FollowedBranch(configuration.branch))
            },
            adminToken: configuration.adminToken,
            maxWebhookBodySize: configuration.maxWebhookBodySize,
            dashboard: dashboard.map { DashboardResponder(api: api, dashboard: $0, adminToken: configuration.adminToken, logger: logger) },
            logger: logger
        )
        let requestedPort = configuration.port
        return Application(
            responder: responder,
            configuration: ApplicationConfiguration(address: .hostname(configuration.bindHost, port: configuration.port)),
            onServerRunning: { channel in
                await onServerRunning(channel.localAddress?.port ?? requestedPort)
            },
            logger: logger
        )
    }
}
