import CapstanAudit
import CapstanCore
import CapstanDocker
import CapstanGateway
import CapstanReconciler
import Foundation
import ServiceLifecycle

/// Builds the gateway the way both `capstan gateway` and the controller run it: routes kept in
/// the state directory (so a restart serves at once), calls audited into the state directory's
/// store, backends on the local engine.
enum GatewayRuntime {
    static func adminSocket(stateDirectory: String) -> String { stateDirectory + "/gateway.sock" }
    static func routesFile(stateDirectory: String) -> String { stateDirectory + "/routes.json" }

    static func make(stateDirectory: String, docker: DockerClient) throws -> (Gateway, AuditCallWriter) {
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let store: AuditStore
        do {
            store = try AuditStore(path: AuditRecorder.path(stateDirectory: stateDirectory))
        } catch {
            throw CLIError("\(error)")
        }
        let writer = AuditCallWriter(store: store)
        let file = routesFile(stateDirectory: stateDirectory)
        let initial = RouteFile.load(file) ?? VersionedRouteTable(generation: 0, table: RouteTable())
        let gateway = Gateway(initialRoutes: initial, auditor: writer, version: CapstanVersion.current,
                              onRoutesReplaced: { routes in RouteFile.save(routes, to: file) },
                              backendFactory: GatewayBackends.factory(docker: docker))
        return (gateway, writer)
    }

    /// `host:port` → its parts.
    static func hostPort(_ text: String, flag: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw CLIError("\(flag) \"\(text)\" is not host:port")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }
}

extension GatewayRuntime {
    static func describe(_ error: GatewayServerError) -> String {
        switch error {
        case .notLoopback(let host):
            "\(host) is not a loopback address; pass --allow-remote to listen on it (and put TLS in front)"
        case .adminNotLoopback(let host):
            "--admin-listen: \(host) is not a loopback address; the admin API listens on this host only (--allow-remote "
                + "opens the MCP listener, never the admin API); from elsewhere, reach it through an SSH tunnel"
        case .weakAdminToken:
            "the gateway admin token is shorter than 16 characters"
        }
    }
}

/// Ends event streams (the gateway's GET streams, the dashboard's live events) when graceful
/// shutdown begins: the HTTP servers wait for open responses, and a stream would otherwise keep
/// them waiting indefinitely. Runs last in its group, since a group stops services in reverse.
struct EndStreamsOnShutdown: Service {
    let end: @Sendable () -> Void

    func run() async throws {
        try? await gracefulShutdown()
        end()
    }
}

/// Long-running commands say when something happens (a listener bound); a pipe or a log file
/// must get the line then, not when stdout's buffer fills or the process exits.
func announce(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
