import CapstanCore
import Foundation

/// The reconciler's side of the admin API: reads and replaces a gateway's routes over its unix
/// socket (or loopback TCP with the admin token).
public struct GatewayAdminClient: RouteStore {
    public enum Endpoint: Sendable, Equatable {
        case unixSocket(path: String)
        case loopback(host: String, port: Int, token: String)
    }

    public let endpoint: Endpoint
    public var timeout: Duration

    public init(endpoint: Endpoint, timeout: Duration = .seconds(10)) {
        self.endpoint = endpoint
        self.timeout = timeout
    }

    /// Whether a gateway accepts connections on the unix socket at `path`.
    public static func isListening(socket path: String) -> Bool {
        guard FileManager.default.fileExists(atPath: path), let fd = try? LoopbackHTTP.connect(.unix(path)) else { return false }
        close(fd)
        return true
    }

    public func currentRoutes() async throws -> VersionedRouteTable {
        let response = try await send(method: "GET", path: "/admin/routes", headers: [], body: nil)
        guard response.status == 200 else { throw GatewayAdminError.unexpectedStatus(response.status, Self.reason(response.body)) }
        return try decode(response.body)
    }

    public func replaceRoutes(_ table: RouteTable, ifMatch: Int) async throws -> VersionedRouteTable {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = try encoder.encode(table)
        let response = try await send(method: "PUT", path: "/admin/routes",
                                      headers: [("If-Match", "\"\(ifMatch)\""), ("Content-Type", "application/json")],
                                      body: Array(body))
        switch response.status {
        case 200: return try decode(response.body)
        case 412: throw GatewayAdminError.generationChanged(expected: ifMatch)
        default: throw GatewayAdminError.unexpectedStatus(response.status, Self.reason(response.body))
        }
    }

    private func decode(_ body: [UInt8]) throws -> VersionedRouteTable {
        do {
            return try JSONDecoder().decode(VersionedRouteTable.self, from: Data(body))
        } catch {
            throw GatewayAdminError.malformedResponse
        }
    }

    /// The `error` member of a JSON error body; never the request or a token.
    static func reason(_ body: [UInt8]) -> String {
        (try? JSONParser.parse(body))?["error"]?.stringValue ?? "no reason given"
    }

    private func send(method: String, path: String, headers: [(String, String)], body: [UInt8]?) async throws -> LoopbackHTTP.Response {
        var allHeaders = headers
        let target: LoopbackHTTP.Target
        switch endpoint {
        case .unixSocket(let socketPath):
            target = .unix(socketPath)
        case .loopback(let host, let port, let token):
            target = .tcp(host: host, port: port)
            allHeaders.append(("Authorization", "Bearer \(token)"))
        }
        let request = LoopbackHTTP.Request(method: method, path: path, headers: allHeaders, body: body)
        let timeout = self.timeout
        // Blocking socket I/O runs on a thread of its own, not on the cooperative pool.
        return try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try LoopbackHTTP.exchange(request, with: target, timeout: timeout) })
            }
            thread.name = "capstan-gateway-admin"
            thread.start()
        }
    }
}

public enum GatewayAdminError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreachable(String)
    case generationChanged(expected: Int)
    case unexpectedStatus(Int, String)
    case malformedResponse

    public var description: String {
        switch self {
        case .unreachable(let reason): "the gateway's admin API is not reachable: \(reason)"
        case .generationChanged(let expected): "the gateway's routes changed since generation \(expected) was read; plan again"
        case .unexpectedStatus(let status, let reason): "the gateway answered HTTP \(status) (\(reason))"
        case .malformedResponse: "the gateway's answer is not a route table"
        }
    }
}
