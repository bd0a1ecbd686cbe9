import CapstanAudit
import CapstanReconciler
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The dashboard as the controller serves it: which data it reads and who may see it.
public struct Dashboard: Sendable {
    public var data: any DashboardData
    public var auth: DashboardAuth

    public init(data: any DashboardData, auth: DashboardAuth = .remote) {
        self.data = data
        self.auth = auth
    }
}

/// Answers the dashboard's routes: gathers the inputs, builds the page value, renders it as
/// HTML or JSON. Never throws; a store that cannot be read gives a 503 page naming the error.
struct DashboardResponder: Sendable {
    let api: any ControllerAPI
    let dashboard: Dashboard
    let adminToken: AdminToken?
    let sessions = DashboardSessions()
    let logger: Logger
    var keepAlive: Duration = .seconds(15)

    func respond(_ route: ControllerRoute, _ request: Request, peerIsLoopback: Bool) async -> Response {
        switch route {
        case .stylesheet: return asset(DashboardAssets.css, type: "text/css; charset=utf-8")
        case .script: return asset(DashboardAssets.js, type: "text/javascript; charset=utf-8")
        case .icon: return asset(DashboardAssets.icon, type: "image/svg+xml")
        case .loginPage: return html(.ok, DashboardRender.login(next: DashboardAccess.safeNext(request.uri.queryParameters["next"].map(String.init)), error: nil))
        case .login: return await login(request)
        case .logout:
            sessions.end(DashboardSessions.cookie(in: request.headers[.cookie]))
            var response = redirect(to: "/login")
            response.headers[.setCookie] = DashboardSessions.clearCookie
            return response
        default: break
        }
        let gate = DashboardAccess.decide(
            auth: dashboard.auth, peerIsLoopback: peerIsLoopback, hasAdminToken: adminToken != nil,
            session: sessions.isValid(DashboardSessions.cookie(in: request.headers[.cookie])),
            bearer: adminToken.map { BearerAuthorization.check(header: request.headers[.authorization], token: $0) } ?? .missing)
        let isAPI = request.uri.path.hasPrefix("/api/")
        switch gate {
        case .allowed: break
        case .signIn where isAPI:
            var response = Response.json(.unauthorized, ["error": "unauthorized", "reason": "sign in at /login or send the admin token as a bearer token"])
            response.headers[.wwwAuthenticate] = #"Bearer realm="capstan""#
            return response
        case .signIn:
            // The whole target, query too, so `/calls?client=x` comes back filtered after sign-in.
            return redirect(to: "/login?next=" + (request.uri.description.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "/-._~"))) ?? "/"))
        case .forbidden:
            let reason = "the dashboard is served to this host only; start the controller with --admin-token-file to sign in from elsewhere"
            if isAPI { return .json(.forbidden, ["error": "forbidden", "reason": reason]) }
            return html(.forbidden, DashboardRender.plain(title: "Not available", body: "<p>\(reason).</p>"))
        }
        if route == .events { return await events() }
        do {
            return try await page(route, request)
        } catch let problem as CallQuery.Problem {
            if isAPI { return .json(.badRequest, ["error": "bad_request", "reason": problem.description]) }
            return html(.badRequest, DashboardRender.plain(title: "Bad filter", body: "<p>\(problem.description). <a href=\"/calls\">Reset the filters</a>.</p>"))
        } catch {
            logger.error("dashboard cannot read its data", metadata: ["error": "\(error)"])
            let reason = "cannot read the audit store: \(error)"
            if isAPI { return .json(.serviceUnavailable, ["error": "unavailable", "reason": reason]) }
            return html(.serviceUnavailable, DashboardRender.plain(title: "Unavailable", body: "<p>\(reason)</p>"))
        }
    }

    private func page(_ route: ControllerRoute, _ request: Request) async throws -> Response {
        let status = await api.status()
        let query = request.uri.queryParameters.map { (String($0.key), String($0.value)) }
        switch route {
        case .overviewPage, .overviewAPI:
            let page = OverviewPage.build(status: status, now: Date())
            return render(route, page, instance: status.instance, tab: .overview) { DashboardRender.overview($0) }
        case .serversPage, .serversAPI:
            let routes = await dashboard.data.routes()
            let page = ServersPage.build(status: status, routes: routes, catalog: routes == nil ? [] : await dashboard.data.toolCatalog())
            return render(route, page, instance: status.instance, tab: .servers) { DashboardRender.servers($0) }
        case .accessPage, .accessAPI:
            let routes = await dashboard.data.routes()
            let page = AccessPage.build(routes: routes, catalog: routes == nil ? [] : await dashboard.data.toolCatalog())
            return render(route, page, instance: status.instance, tab: .access) { DashboardRender.access($0) }
        case .historyPage, .historyAPI:
            let includeNoop = query.contains { $0.0 == "noop" && ($0.1 == "1" || $0.1 == "true") }
            let page = HistoryPage.build(try await dashboard.data.runHistory(limit: HistoryPage.limit, includeNoop: includeNoop),
                                         includeNoop: includeNoop)
            return render(route, page, instance: status.instance, tab: .history) { DashboardRender.history($0) }
        default:
            let q = try CallQuery.parse(query)
            let since = q.since(now: Date())
            let decision = q.decision.flatMap(AuditToolCall.Decision.init(rawValue:))
            let calls = try await dashboard.data.calls(client: q.client, server: q.server, tool: q.tool, decision: decision,
                                                       since: since, limit: q.limit)
            let stats = try await dashboard.data.callStats(client: q.client, server: q.server, tool: q.tool, decision: decision, since: since)
            let page = CallsPage.build(query: q, calls: calls, stats: stats)
            return render(route, page, instance: status.instance, tab: .calls) { DashboardRender.calls($0) }
        }
    }

    private func render<Page: Encodable>(_ route: ControllerRoute, _ page: Page, instance: String, tab: DashboardRender.Tab,
                                         _ body: (Page) -> HTML) -> Response {
        if route.path.hasPrefix("/api/") {
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            guard let data = try? encoder.encode(page) else { return .json(.internalServerError, ["error": "internal"]) }
            return .jsonData(.ok, data)
        }
        return html(.ok, DashboardRender.page(tab, instance: instance, body: body(page)))
    }

    // MARK: Sign-in

    /// The form's fields, `token` and `next`, URL-encoded.
    static let maxLoginBodySize = 8 << 10

    private func login(_ request: Request) async -> Response {
        guard let adminToken else {
            return html(.forbidden, DashboardRender.plain(title: "Not available",
                                                         body: "<p>This controller has no admin token to sign in with (--admin-token-file).</p>"))
        }
        guard case .body(let body) = await BoundedBody.read(request, limit: Self.maxLoginBodySize) else {
            return html(.badRequest, DashboardRender.login(next: "/", error: "The form could not be read."))
        }
        let form = Self.formFields(String(decoding: body, as: UTF8.self))
        let next = DashboardAccess.safeNext(form["next"])
        guard let token = form["token"], adminToken.matches(token) else {
            logger.notice("dashboard sign-in refused: wrong token")
            return html(.unauthorized, DashboardRender.login(next: next, error: "That is not the admin token."))
        }
        var response = redirect(to: next)
        response.headers[.setCookie] = DashboardSessions.setCookie(sessions.create())
        logger.info("dashboard sign-in")
        return response
    }

    static func formFields(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String { String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            fields[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }

    // MARK: Live events

    /// Server-sent events: one `data:` line of JSON per controller event, and a comment every
    /// `keepAlive` so a proxy keeps the stream and a gone browser is noticed.
    private func events() async -> Response {
        let stream = await api.liveEvents()
        let keepAlive = self.keepAlive
        let body = ResponseBody { writer in
            try await writer.write(ByteBuffer(string: ": connected\n\n"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                let (frames, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
                group.addTask {
                    for await event in stream { continuation.yield(Self.frame(event)) }
                    continuation.finish()
                }
                group.addTask {
                    while !Task.isCancelled {
                        try await Task.sleep(for: keepAlive)
                        continuation.yield(ByteBuffer(string: ": keep-alive\n\n"))
                    }
                }
                for await frame in frames { try await writer.write(frame) }
                group.cancelAll()
            }
            try await writer.finish(nil)
        }
        var response = Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
        response.headers[.xAccelBuffering] = "no"
        return response
    }

    static func frame(_ event: ControllerEvent) -> ByteBuffer {
        var object = event.fields
        object["type"] = event.name
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = (try? encoder.encode(object)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return ByteBuffer(string: "data: \(json)\n\n")
    }

    // MARK: Responses

    private func asset(_ text: String, type: String) -> Response {
        var response = Response.text(.ok, text, contentType: type)
        response.headers[.cacheControl] = "max-age=300"  // kept: the server adds only what is missing
        return response
    }

    private func html(_ status: HTTPResponse.Status, _ page: HTML) -> Response {
        .text(status, page.text, contentType: "text/html; charset=utf-8")
    }

    private func redirect(to location: String) -> Response {
        var response = Response(status: .seeOther)
        response.headers[.location] = location
        return response
    }
}

extension HTTPField.Name {
    static let referrerPolicy = Self("Referrer-Policy")!
    static let xFrameOptions = Self("X-Frame-Options")!
    static let xAccelBuffering = Self("X-Accel-Buffering")!
}
