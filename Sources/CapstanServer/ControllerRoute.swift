import Hummingbird

/// The API's routes. Matching is a pure function so 404 versus 405 is decided in one place.
enum ControllerRoute: CaseIterable, Sendable {
    case healthz, readyz, status, metrics, webhook, sync

    var path: String {
        switch self {
        case .healthz: return "/healthz"
        case .readyz: return "/readyz"
        case .status: return "/api/v1/status"
        case .metrics: return "/metrics"
        case .webhook: return "/api/v1/webhook"
        case .sync: return "/api/v1/sync"
        }
    }

    var method: HTTPRequest.Method {
        switch self {
        case .healthz, .readyz, .status, .metrics: return .get
        case .webhook, .sync: return .post
        }
    }

    enum Match: Sendable, Equatable {
        case route(ControllerRoute)
        case notFound
        /// The path exists for other methods, listed for the `Allow` header.
        case methodNotAllowed(allow: [HTTPRequest.Method])
    }

    static func match(method: HTTPRequest.Method, path: String) -> Match {
        let candidates = allCases.filter { $0.path == path }
        if candidates.isEmpty { return .notFound }
        if let route = candidates.first(where: { $0.method == method }) { return .route(route) }
        return .methodNotAllowed(allow: candidates.map(\.method))
    }
}
