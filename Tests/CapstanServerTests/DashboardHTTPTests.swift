import CapstanAudit
import CapstanCore
import CapstanReconciler
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CapstanServer

/// Fixed routes, tools, runs and calls, recording what the dashboard asked for.
struct FakeDashboardData: DashboardData {
    var table: RouteTable? = DashboardPagesTests.routes

    func routes() async -> RouteTable? { table }
    func toolCatalog() async -> [ServerTools] { DashboardPagesTests.catalog }

    func runHistory(limit: Int, includeNoop: Bool) async throws -> [AuditRunHistory] {
        let run = AuditRun(id: "r1", revision: String(repeating: "c", count: 40), trigger: .webhook,
                           startedAt: Date(timeIntervalSince1970: 1_767_225_600), finishedAt: Date(timeIntervalSince1970: 1_767_225_601),
                           result: .succeeded)
        return [AuditRunHistory(run: run, seq: 4, actions: [
            AuditAction(runID: "r1", address: "server.weather", kind: "create", beforeHash: nil, afterHash: "sha256:aa",
                        outcome: .succeeded, error: nil, durationMs: 420),
        ])]
    }

    func calls(client: String?, server: String?, tool: String?, decision: AuditToolCall.Decision?,
               since: Date?, limit: Int) async throws -> [AuditToolCall] {
        let all = [
            AuditToolCall(startedAt: Date(), client: "alice", server: "weather", tool: "get_forecast", decision: .allowed,
                          outcome: .ok, durationMs: 12, argumentsSHA256: String(repeating: "0", count: 64), protocolVersion: nil, error: nil),
            AuditToolCall(startedAt: Date(), client: "bob", server: "weather", tool: "delete_station", decision: .denied,
                          outcome: .denied, durationMs: 0, argumentsSHA256: String(repeating: "0", count: 64), protocolVersion: nil,
                          error: "not permitted by policy"),
        ]
        return Array(all.filter { c in client.map { $0 == c.client } ?? true }.filter { c in decision.map { $0 == c.decision } ?? true }.prefix(limit))
    }

    func callStats(client: String?, server: String?, tool: String?, decision: AuditToolCall.Decision?,
                   since: Date?) async throws -> [AuditCallStats] {
        [AuditCallStats(server: "weather", tool: "get_forecast", calls: 1, denied: 0, failed: 0, p50Ms: 12, p95Ms: 12, p99Ms: 12)]
    }
}

/// The dashboard over real HTTP against a fake controller and fake data: routing, headers,
/// sign-in, JSON twins and live events. The e2e suite runs it against a real controller.
@Suite struct DashboardHTTPTests {
    static let pages = ["/", "/servers", "/access", "/history", "/calls"]
    static let twins = ["/api/v1/overview", "/api/v1/servers", "/api/v1/access", "/api/v1/history", "/api/v1/calls"]

    func withDashboard(_ api: FakeControllerAPI = FakeControllerAPI(), auth: DashboardAuth = .remote, adminToken: Bool = true,
                       dashboard: Bool = true,
                       _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        var configuration = ControllerServerHTTPTests.configuration()
        if !adminToken { configuration.adminToken = nil }
        let server = try ControllerServer(api: api, configuration: configuration,
                                          dashboard: dashboard ? Dashboard(data: FakeDashboardData(), auth: auth) : nil,
                                          logger: LogCapture().logger(level: .error))
        try await server.makeApplication().test(.live, body)
    }

    static func text(_ response: TestResponse) -> String { String(buffer: response.body) }

    @Test func everyPageIsHTMLWithAStrictContentSecurityPolicy() async throws {
        try await withDashboard { client in
            for path in Self.pages {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .ok, "\(path)")
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                let csp = response.headers[.contentSecurityPolicy] ?? ""
                #expect(csp.hasPrefix("default-src 'none'; script-src 'self'; style-src 'self'"), "\(path)")
                #expect(csp.contains("frame-ancestors 'none'"))
                #expect(response.headers[.xContentTypeOptions] == "nosniff")
                #expect(response.headers[.cacheControl] == "no-store")
                #expect(Self.text(response).contains("<main id=\"main\""))
            }
        }
    }

    @Test func pagesShowWhatTheirTwinsSay() async throws {
        let api = FakeControllerAPI(status: DashboardPagesTests.status([DashboardPagesTests.resource("weather")]))
        try await withDashboard(api) { client in
            let servers = try await client.execute(uri: "/api/v1/servers", method: .get)
            #expect(servers.status == .ok)
            #expect(servers.headers[.contentSecurityPolicy] != nil)
            let value = try JSONDecoder().decode(ServersPage.self, from: Data(buffer: servers.body))
            #expect(value.servers.map(\.name) == ["weather"])
            let serversPage = Self.text(try await client.execute(uri: "/servers", method: .get))
            for tool in value.servers.flatMap({ $0.tools ?? [] }) { #expect(serversPage.contains("<code title=") && serversPage.contains(tool.name)) }
            let access = try JSONDecoder().decode(AccessPage.self, from: Data(buffer: try await client.execute(uri: "/api/v1/access", method: .get).body))
            let accessPage = Self.text(try await client.execute(uri: "/access", method: .get))
            for row in access.rows { #expect(accessPage.contains("<th scope=\"row\">\(row.client)</th>")) }
            #expect(accessPage.components(separatedBy: "class=\"allow\"").count - 1 == access.rows.flatMap(\.allowed).filter { $0 }.count)
            let history = Self.text(try await client.execute(uri: "/history", method: .get))
            #expect(history.contains("server.weather (create): succeeded, 420 ms"))
            let calls = try await client.execute(uri: "/api/v1/calls?client=bob", method: .get)
            let callsValue = try JSONDecoder().decode(CallsPageWire.self, from: Data(buffer: calls.body))
            #expect(callsValue.calls.map(\.tool) == ["delete_station"])
            #expect(callsValue.calls.map(\.decision) == ["denied"])
        }
    }

    @Test func badFiltersAre400WithTheReason() async throws {
        try await withDashboard { client in
            let api = try await client.execute(uri: "/api/v1/calls?window=2y", method: .get)
            #expect(api.status == .badRequest)
            #expect(Self.text(api).contains(#"window \"2y\" is not one of 1h, 24h, 7d, all"#))
            let page = try await client.execute(uri: "/calls?limit=abc", method: .get)
            #expect(page.status == .badRequest)
            #expect(Self.text(page).contains("limit &quot;abc&quot; is not a number from 1 to 1000"))
        }
    }

    @Test func withoutADashboardOnlyTheAPIIsServed() async throws {
        try await withDashboard(dashboard: false) { client in
            let v1 = try await client.execute(uri: "/", method: .get).status
            #expect(v1 == .notFound)
            let v2 = try await client.execute(uri: "/api/v1/servers", method: .get).status
            #expect(v2 == .notFound)
            let v3 = try await client.execute(uri: "/assets/dashboard.css", method: .get).status
            #expect(v3 == .notFound)
            let v4 = try await client.execute(uri: "/api/v1/status", method: .get).status
            #expect(v4 == .ok)
        }
    }

    @Test func errorsAndAPIAnswersCarryTheSameSecurityHeadersAsPages() async throws {
        try await withDashboard { client in
            let missing = try await client.execute(uri: "/no-such-page", method: .get)
            let wrongMethod = try await client.execute(uri: "/servers", method: .delete)
            let status = try await client.execute(uri: "/api/v1/status", method: .get)
            let head = try await client.execute(uri: "/servers", method: .head)
            #expect(head.status == .ok)
            #expect(head.headers[.contentType] == "text/html; charset=utf-8")
            #expect(head.body.readableBytes == 0)
            #expect(wrongMethod.headers[.allow] == "GET, HEAD")
            #expect(missing.status == .notFound)
            #expect(wrongMethod.status == .methodNotAllowed)
            for (what, response) in [("404", missing), ("405", wrongMethod), ("status", status)] {
                #expect(response.headers[.contentSecurityPolicy]?.hasPrefix("default-src 'none'") == true, "\(what)")
                #expect(response.headers[.xContentTypeOptions] == "nosniff", "\(what)")
                #expect(response.headers[.xFrameOptions] == "DENY", "\(what)")
                #expect(response.headers[.cacheControl] == "no-store", "\(what)")
            }
        }
    }

    @Test func assetsAreServedWithTheirTypes() async throws {
        try await withDashboard(auth: .always) { client in
            let css = try await client.execute(uri: "/assets/dashboard.css", method: .get)
            #expect(css.headers[.contentType] == "text/css; charset=utf-8")
            #expect(css.headers[.cacheControl] == "max-age=300")
            #expect(css.headers[.xContentTypeOptions] == "nosniff")
            #expect(Self.text(css).contains("prefers-color-scheme: dark"))
            let js = try await client.execute(uri: "/assets/dashboard.js", method: .get)
            #expect(js.headers[.contentType] == "text/javascript; charset=utf-8")
            #expect(Self.text(js).contains("EventSource(\"/api/v1/events\")"))
            let icon = try await client.execute(uri: "/assets/capstan.svg", method: .get)
            #expect(icon.headers[.contentType] == "image/svg+xml")
            #expect(Self.text(icon).hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
            let page = Self.text(try await client.execute(uri: "/login", method: .get))  // open to all, like the icon
            #expect(page.contains(#"<link rel="icon" href="/assets/capstan.svg" type="image/svg+xml">"#))
        }
    }

    @Test func signingInSetsAStrictHttpOnlyCookieThatLogoutEnds() async throws {
        try await withDashboard(auth: .always) { client in
            let page = try await client.execute(uri: "/servers", method: .get)
            #expect(page.status == .seeOther)
            #expect(page.headers[.location] == "/login?next=/servers")
            let api = try await client.execute(uri: "/api/v1/servers", method: .get)
            #expect(api.status == .unauthorized)
            #expect(api.headers[.wwwAuthenticate] == #"Bearer realm="capstan""#)
            let v5 = try await client.execute(uri: "/api/v1/events", method: .get).status
            #expect(v5 == .unauthorized)

            let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            let wrong = try await client.execute(uri: "/login", method: .post, headers: form,
                                                 body: ByteBuffer(string: "token=nope&next=%2Fservers"))
            #expect(wrong.status == .unauthorized)
            #expect(wrong.headers[.setCookie] == nil)
            #expect(!Self.text(wrong).contains(ControllerServerHTTPTests.adminText))

            let right = try await client.execute(uri: "/login", method: .post, headers: form,
                                                 body: ByteBuffer(string: "token=\(ControllerServerHTTPTests.adminText)&next=%2Fservers"))
            #expect(right.status == .seeOther)
            #expect(right.headers[.location] == "/servers")
            let setCookie = try #require(right.headers[.setCookie])
            #expect(setCookie.hasSuffix("; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200"))
            let cookie = String(setCookie.prefix { $0 != ";" })

            let v6 = try await client.execute(uri: "/servers", method: .get, headers: [.cookie: cookie]).status
            #expect(v6 == .ok)
            let v7 = try await client.execute(uri: "/api/v1/servers", method: .get,
                                              headers: [.authorization: "Bearer \(ControllerServerHTTPTests.adminText)"]).status
            #expect(v7 == .ok)
            let logout = try await client.execute(uri: "/logout", method: .post, headers: [.cookie: cookie])
            #expect(logout.headers[.setCookie]?.contains("Max-Age=0") == true)
            let v8 = try await client.execute(uri: "/servers", method: .get, headers: [.cookie: cookie]).status
            #expect(v8 == .seeOther)

            let open = try await client.execute(uri: "/login", method: .post, headers: form,
                                                body: ByteBuffer(string: "token=\(ControllerServerHTTPTests.adminText)&next=%2F%2Fevil.example"))
            #expect(open.headers[.location] == "/")
        }
    }

    @Test func withoutAnAdminTokenThereIsNoSignInOnlyAnExplanation() async throws {
        try await withDashboard(auth: .always, adminToken: false) { client in
            let page = try await client.execute(uri: "/", method: .get)
            #expect(page.status == .forbidden)
            #expect(Self.text(page).contains("--admin-token-file"))
            let v9 = try await client.execute(uri: "/api/v1/overview", method: .get).status
            #expect(v9 == .forbidden)
        }
    }

    @Test func liveEventsAreServerSentEventsOfTheControllersChanges() async throws {
        let api = FakeControllerAPI()
        try await withDashboard(api) { client in
            async let response = client.execute(uri: "/api/v1/events", method: .get)
            for _ in 0..<500 where await api.subscriberCount == 0 { try await Task.sleep(for: .milliseconds(10)) }
            await api.publish(.syncStarted(trigger: "webhook"))
            await api.publish(.container(server: "weather", action: "die"))
            await api.publish(.syncFinished(result: "succeeded", revision: "abc"))
            await api.endEvents()
            let events = try await response
            #expect(events.headers[.contentType] == "text/event-stream")
            #expect(Self.text(events) == """
                : connected

                data: {"trigger":"webhook","type":"sync-started"}

                data: {"action":"die","server":"weather","type":"container"}

                data: {"result":"succeeded","revision":"abc","type":"sync-finished"}


                """)
        }
    }
}

/// The calls twin as a client reads it (the page value's dates are ISO 8601 strings there).
struct CallsPageWire: Decodable {
    struct Call: Decodable { var tool: String; var decision: String }
    var calls: [Call]
}
