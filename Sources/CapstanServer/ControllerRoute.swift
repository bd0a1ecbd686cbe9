import Hummingbird

/// The API's routes. Matching is a pure function so 404 versus 405 is decided in one place.
enum ControllerRoute: CaseIterable, Sendable {
    case healthz, readyz, status, metrics, webhook, sync
    // The dashboard: pages, their JSON twins, live events, assets, sign-in.
    case overviewPage, serversPage, accessPage, historyPage, callsPage
    case overviewAPI, serversAPI, accessAPI, historyAPI, callsAPI
    case events, stylesheet, script, icon, loginPage, login, logout

    var path: String {
        switch self {
        case .healthz: return "/healthz"
        case .readyz: return "/readyz"
        case .status: return "/api/v1/status"
        case .metrics: return "/metrics"
        case .webhook: return "/api/v1/webhook"
        case .sync: return "/api/v1/sync"
        case .overviewPage: return "/"
        case .serversPage: return "/servers"
        case .accessPage: return "/access"
        case .historyPage: return "/history"
        case .callsPage: return "/calls"
        case .overviewAPI: return "/api/v1/overview"
        case .serversAPI: return "/api/v1/servers"
        case .accessAPI: return "/api/v1/access"
        case .historyAPI: return "/api/v1/history"
        case .callsAPI: return "/api/v1/calls"
        case .events: return "/api/v1/events"
        case .stylesheet: return "/assets/dashboard.css"
        case .script: return "/assets/dashboard.js"
        case .icon: return "/assets/capstan.svg"
        case .loginPage, .login: return "/login"
        case .logout: return "/logout"
        }
    }

    var method: HTTPRequest.Method {
        switch self {
        case .webhook, .sync, .login, .logout: return .post
        default: return .get
        }
    }

    /// Served only when the controller has a dashboard.
    var isDashboard: Bool {
        switch self {
        case .healthz, .readyz, .status, .metrics, .webhook, .sync: return false
        default: return true
        }
    }

    enum Match: Sendable, Equatable {
        case route(ControllerRoute)
        case notFound
        /// The path exists for other methods, listed for the `Allow` header.
        case methodNotAllowed(allow: [HTTPRequest.Method])
    }

    static func match(method: HTTPRequest.Method, path: String, dashboard: Bool = true) -> Match {
        let candidates = allCases.filter { $0.path == path && (dashboard || !$0.isDashboard) }
        if candidates.isEmpty { return .notFound }
        // HEAD is GET without the body (`curl -I`, uptime checkers), as HTTP defines it.
        if let route = candidates.first(where: { $0.method == method || (method == .head && $0.method == .get) }) {
            return .route(route)
        }
        let methods = candidates.map(\.method)
        return .methodNotAllowed(allow: methods.contains(.get) ? methods + [.head] : methods)
    }
}
