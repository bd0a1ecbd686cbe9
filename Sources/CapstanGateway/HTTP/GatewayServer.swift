import CapstanCore
import Foundation
import Hummingbird
import Logging

/// The gateway's listeners: the MCP endpoint for clients and the admin API for the reconciler.
/// Each is a Hummingbird application, which is a `Service` to run in a `ServiceGroup`.
public struct GatewayServer: Sendable {
    public enum Admin: Sendable {
        /// The socket file's mode (0600) is the access control.
        case unixSocket(path: String)
        /// Loopback TCP; every request must carry the admin token.
        case loopback(host: String, port: Int, token: String)
    }

    public let gateway: Gateway
    public let configuration: GatewayConfiguration
    public let admin: Admin?
    let sessions = SessionStore()
    let logger: Logger

    public init(gateway: Gateway, configuration: GatewayConfiguration, admin: Admin?, allowRemote: Bool = false,
                logger: Logger = Logger(label: "capstan.gateway.http")) throws(GatewayServerError) {
        guard allowRemote || LoopbackAddress.isLoopback(configuration.host) else {
            throw .notLoopback(host: configuration.host)
        }
        if case .loopback(let host, _, let token) = admin {
            guard LoopbackAddress.isLoopback(host) else { throw .adminNotLoopback(host: host) }
            guard token.utf8.count >= 16 else { throw .weakAdminToken }
        }
        self.gateway = gateway
        self.configuration = configuration
        self.admin = admin
        self.logger = logger
    }

    /// Open sessions, for status and tests.
    public var sessionCount: Int { sessions.count }

    public func makeMCPApplication(onServerRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let responder = MCPResponder(gateway: gateway, sessions: sessions, configuration: configuration, logger: logger)
        let port = configuration.port
        return Application(
            responder: responder,
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port),
                                                    serverName: Gateway.serverName),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    /// Nil when no admin listener is configured.
    public func makeAdminApplication(onServerRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }) -> (some ApplicationProtocol)? {
        guard let admin else { return nil as Application<AdminResponder>? }
        switch admin {
        case .unixSocket(let path):
            // A socket left by a previous run would make the bind fail.
            unlink(path)
            let responder = AdminResponder(gateway: gateway, adminTokenHash: nil, logger: logger)
            return Application(
                responder: responder,
                configuration: ApplicationConfiguration(address: .unixDomainSocket(path: path), serverName: Gateway.serverName),
                onServerRunning: { _ in
                    chmod(path, 0o600)
                    await onServerRunning(0)
                },
                logger: logger)
        case .loopback(let host, let port, let token):
            let responder = AdminResponder(gateway: gateway, adminTokenHash: Gateway.tokenHash(token), logger: logger)
            return Application(
                responder: responder,
                configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: Gateway.serverName),
                onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
                logger: logger)
        }
    }
}

public enum GatewayServerError: Error, Sendable, Equatable {
    /// The MCP listener on a non-loopback address without `allowRemote`.
    case notLoopback(host: String)
    /// The admin API rewrites routes: it listens on loopback whatever `allowRemote` says.
    case adminNotLoopback(host: String)
    case weakAdminToken
}
