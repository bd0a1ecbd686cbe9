import CapstanCore
import Foundation
import Hummingbird
import Logging

/// The admin API: `GET /admin/routes` and `PUT /admin/routes` with `If-Match`. On a unix socket
/// the socket's file mode is the access control; on loopback TCP an admin token is required.
struct AdminResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    static let maxBodySize = 16 << 20

    let gateway: Gateway
    /// `sha256:` hash of the admin token; nil on a unix socket.
    let adminTokenHash: String?
    let logger: Logger

    func respond(to request: Request, context: Context) async throws -> Response {
        if let adminTokenHash {
            let presented = bearerToken(request.headers[.authorization]).map(Gateway.tokenHash)
            // Hashes are compared, so timing says nothing about the token.
            guard let presented, presented == adminTokenHash else {
                var response = Self.json(.unauthorized, ["error": "unauthorized"])
                response.headers[.wwwAuthenticate] = #"Bearer realm="capstan-gateway-admin""#
                return response
            }
        }
        guard request.uri.path == "/admin/routes" else { return Self.json(.notFound, ["error": "not_found"]) }
        switch request.method {
        case .get:
            return Self.routes(gateway.routes)
        case .put:
            return await put(request)
        default:
            var response = Self.json(.methodNotAllowed, ["error": "method_not_allowed"])
            response.headers[.allow] = "GET, PUT"
            return response
        }
    }

    private func put(_ request: Request) async -> Response {
        guard let ifMatch = request.headers[.ifMatch] else {
            return Self.json(.preconditionRequired, ["error": "if_match_required", "reason": "send If-Match with the generation from GET /admin/routes"])
        }
        let generation = Self.generation(ifMatch)
        guard ifMatch == "*" || generation != nil else {
            return Self.json(.badRequest, ["error": "bad_if_match", "reason": "If-Match must be a generation in quotes, like \"3\""])
        }
        let table: RouteTable
        do {
            let body = try await request.body.collect(upTo: Self.maxBodySize)
            table = try JSONDecoder().decode(RouteTable.self, from: Data(body.readableBytesView))
        } catch {
            return Self.json(.badRequest, ["error": "bad_body", "reason": "expected a route table as JSON"])
        }
        do {
            return Self.routes(try await gateway.replace(table, ifMatch: generation))
        } catch {
            var response = Self.json(.preconditionFailed, ["error": "generation_changed", "current": "\(error.current)"])
            response.headers[.eTag] = "\"\(error.current)\""
            return response
        }
    }

    /// `"3"` or `3` → 3.
    static func generation(_ header: String) -> Int? {
        var text = Substring(header.trimmingCharacters(in: .whitespaces))
        if text.hasPrefix("W/") { text = text.dropFirst(2) }
        if text.hasPrefix("\""), text.hasSuffix("\""), text.count >= 2 { text = text.dropFirst().dropLast() }
        return Int(text)
    }

    static func routes(_ routes: VersionedRouteTable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(routes)) ?? Data("{}".utf8)
        var response = Response(status: .ok, headers: [.contentType: "application/json"],
                                body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        response.headers[.eTag] = "\"\(routes.generation)\""
        return response
    }

    static func json(_ status: HTTPResponse.Status, _ fields: [String: String]) -> Response {
        let data = (try? JSONEncoder().encode(fields)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
