import CapstanAudit
import CapstanCore
import CapstanReconciler
import Foundation
import Testing

@testable import CapstanServer

/// The dashboard's pure core: page values from the controller's status, the routes and the
/// audit, and the markup that escapes everything it did not write itself.
@Suite struct DashboardPagesTests {
    static func resource(_ name: String, inSync: Bool = true, observed: String = "running", crashLooping: Bool = false) -> ControllerStatus.Resource {
        .init(address: "server.\(name)", desired: "running", observed: observed, inSync: inSync,
              pending: inSync ? nil : "replace: env changed", crashLooping: crashLooping,
              desiredImage: "sha256:" + String(repeating: "ab", count: 32), observedImage: "sha256:" + String(repeating: "ab", count: 32),
              desiredSpecHash: "sha256:" + String(repeating: "cd", count: 32), observedSpecHash: nil, restarts: 2)
    }

    static func status(_ resources: [ControllerStatus.Resource], result: String? = "succeeded", syncing: Bool = false) -> ControllerStatus {
        ControllerStatus(instance: "prod", repository: "https://git.example.test/team/mcp.git", branch: "main",
                         lastAppliedRevision: "0123456789abcdef0123456789abcdef01234567",
                         lastAttempt: result.map { .init(revision: "0123456789abcdef0123456789abcdef01234567", trigger: "poll",
                                                         at: Date(timeIntervalSince1970: 1_767_225_600), result: $0, errors: []) },
                         nextPoll: nil, resources: resources, syncing: syncing)
    }

    static let routes = RouteTable(
        servers: [RouteServer(name: "weather", transport: .stdio, container: "prod-weather", timeoutMilliseconds: 60000),
                  RouteServer(name: "time", transport: .stdio, container: "prod-time", timeoutMilliseconds: 60000)],
        clients: [
            RouteClient(name: "bob", tokenHash: "sha256:" + String(repeating: "1", count: 64), rules: [
                RouteRule(server: "weather", tools: ["*"], effect: .allow, policy: "ops"),
                RouteRule(server: "weather", tools: ["delete_*"], effect: .deny, policy: "no-deletes"),
            ]),
            RouteClient(name: "alice", tokenHash: "sha256:" + String(repeating: "2", count: 64), rules: [
                RouteRule(server: "weather", tools: ["get_forecast"], effect: .allow, policy: "readers"),
            ]),
        ])

    static let catalog = [
        ServerTools(server: "weather", tools: [OfferedTool(name: "get_forecast", description: "<b>Forecast</b>"),
                                               OfferedTool(name: "delete_station")]),
        ServerTools(server: "time", tools: nil, error: "server time did not answer within 3 seconds"),
    ]

    // MARK: Overview

    @Test func syncStateNamesWhatTheLastAttemptAndTheResourcesSay() {
        #expect(OverviewPage.syncState(Self.status([Self.resource("a")])) == "synced")
        #expect(OverviewPage.syncState(Self.status([Self.resource("a", inSync: false)])) == "out-of-sync")
        #expect(OverviewPage.syncState(Self.status([Self.resource("a")], result: "invalid")) == "failed")
        #expect(OverviewPage.syncState(Self.status([Self.resource("a")], result: nil)) == "unknown")
        #expect(OverviewPage.syncState(Self.status([Self.resource("a")], syncing: true)) == "syncing")
    }

    @Test func overviewCountsServersByState() {
        let page = OverviewPage.build(status: Self.status([
            Self.resource("a"), Self.resource("b", inSync: false, observed: "exited"),
            Self.resource("c", inSync: false, observed: "exited", crashLooping: true),
            .init(address: "image.app", desired: "sha256:x", observed: "present", inSync: true, pending: nil, crashLooping: false),
        ]), now: Date())
        #expect(page.counts == .init(servers: 3, running: 1, inSync: 1, drifted: 1, crashLooping: 1))
    }

    // MARK: Servers and access

    @Test func serversListTheirToolsWithTheClientsPoliciesAllow() {
        let page = ServersPage.build(status: Self.status([Self.resource("weather"), Self.resource("time")]),
                                     routes: Self.routes, catalog: Self.catalog)
        let weather = page.servers[0]
        #expect(weather.tools?.map(\.name) == ["get_forecast", "delete_station"])
        #expect(weather.tools?.map(\.clients) == [["alice", "bob"], []])  // deny wins over bob's wildcard
        #expect(weather.desiredSpecHash == String(repeating: "cd", count: 6))
        #expect(page.servers[1].tools == nil)
        #expect(page.servers[1].toolsError == "server time did not answer within 3 seconds")
    }

    @Test func withoutAGatewayServersSayWhyNoToolsAreShown() {
        let page = ServersPage.build(status: Self.status([Self.resource("weather")]), routes: nil, catalog: [])
        #expect(!page.gateway)
        #expect(page.servers[0].toolsError == "no gateway runs in this controller")
    }

    @Test func accessMatrixIsClientsByListedToolsAndNamesUnlistedServers() {
        let page = AccessPage.build(routes: Self.routes, catalog: Self.catalog)
        #expect(page.columns == [.init(server: "weather", tool: "get_forecast"), .init(server: "weather", tool: "delete_station")])
        #expect(page.rows.map(\.client) == ["alice", "bob"])
        #expect(page.rows.map(\.allowed) == [[true, false], [true, false]])
        #expect(page.rows[1].rules == ["allow weather: tools * (ops)", "deny weather: tools delete_* (no-deletes)"])
        #expect(page.unlisted == ["time"])
    }

    @Test func noPageValueHoldsATokenHash() throws {
        let encoder = JSONEncoder()
        let servers = try encoder.encode(ServersPage.build(status: Self.status([Self.resource("weather")]), routes: Self.routes, catalog: Self.catalog))
        let access = try encoder.encode(AccessPage.build(routes: Self.routes, catalog: Self.catalog))
        for data in [servers, access] {
            let text = String(decoding: data, as: UTF8.self)
            #expect(!text.contains(String(repeating: "1", count: 64)) && !text.contains(String(repeating: "2", count: 64)))
        }
    }

    // MARK: History and calls

    @Test func historyMarksActionsAsThePlanDoes() {
        let run = AuditRun(id: "r", revision: String(repeating: "b", count: 40), trigger: .webhook,
                           startedAt: Date(timeIntervalSince1970: 100), finishedAt: Date(timeIntervalSince1970: 101.25), result: .failed)
        let actions = [
            AuditAction(runID: "r", address: "server.a", kind: "create", beforeHash: nil, afterHash: nil, outcome: .succeeded, error: nil, durationMs: 3),
            AuditAction(runID: "r", address: "server.b", kind: "crash-loop", beforeHash: nil, afterHash: nil, outcome: .skipped, error: nil, durationMs: 0),
        ]
        let page = HistoryPage.build([AuditRunHistory(run: run, seq: 9, actions: actions)], includeNoop: false)
        #expect(page.runs[0].durationMs == 1250)
        #expect(page.runs[0].actions.map(\.marker) == [PlanRenderer.marker(.create), "!"])
        let html = DashboardRender.history(page).text
        #expect(html.contains("server.a (create): succeeded, 3 ms"))
    }

    @Test func callQueryParsesFiltersAndRefusesBadValuesByName() throws {
        let q = try CallQuery.parse([("client", "alice"), ("decision", "denied"), ("window", "7d"), ("limit", "20"), ("tool", "")])
        #expect(q == CallQuery(client: "alice", server: nil, tool: nil, decision: "denied", window: "7d", limit: 20))
        let v1 = try CallQuery.parse([]).window
        #expect(v1 == "24h")
        let v2 = try CallQuery.parse([("window", "all")]).since(now: Date())
        #expect(v2 == nil)
        #expect(throws: CallQuery.Problem.badDecision("maybe")) { try CallQuery.parse([("decision", "maybe")]) }
        #expect(throws: CallQuery.Problem.badWindow("2y")) { try CallQuery.parse([("window", "2y")]) }
        #expect(throws: CallQuery.Problem.badLimit("0")) { try CallQuery.parse([("limit", "0")]) }
        #expect(throws: CallQuery.Problem.badLimit("5000")) { try CallQuery.parse([("limit", "5000")]) }
    }

    // MARK: Markup

    @Test func interpolatedTextIsEscapedAndOnlyHTMLValuesAreMarkup() {
        let evil = #"<script>alert("x")</script> & 'co'"#
        let html: HTML = "<p title=\"\(evil)\">\(evil)</p>"
        #expect(html.text == #"<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;</p>"#)
        let inner: HTML = "<b>\(evil)</b>"
        #expect(("<div>\(inner)</div>" as HTML).text.hasPrefix("<div><b>&lt;script"))
    }

    @Test func commitSubjectsAndToolDescriptionsAreShownAsText() {
        var status = Self.status([Self.resource("weather")])
        status.lastAppliedCommit = .init(revision: "0123456789abcdef0123456789abcdef01234567", summary: "<script>alert(1)</script>",
                                         author: "Mallory <img src=x>", authoredAt: Date(timeIntervalSince1970: 0))
        let overview = DashboardRender.page(.overview, instance: "<i>prod</i>",
                                            body: DashboardRender.overview(OverviewPage.build(status: status, now: Date()))).text
        #expect(overview.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!overview.contains("<script>alert") && !overview.contains("<img src=x>") && !overview.contains("<i>prod"))
        let servers = DashboardRender.servers(ServersPage.build(status: status, routes: Self.routes, catalog: Self.catalog)).text
        #expect(servers.contains("title=\"&lt;b&gt;Forecast&lt;/b&gt;\""))
    }

    @Test func everyPageLinksItsJSONTwinAndMarksTheCurrentTab() {
        for tab in DashboardRender.Tab.allCases {
            let html = DashboardRender.page(tab, instance: "prod", body: .empty).text
            #expect(html.contains("<a href=\"\(tab.api)\">"))
            #expect(html.contains("<a href=\"\(tab.rawValue)\" aria-current=\"page\">"))
            #expect(!html.contains("<script>") && !html.contains("style="))  // the CSP allows neither
        }
    }

    // MARK: Access

    @Test func loopbackPeersAreLetInOnlyInRemoteMode() {
        func gate(_ auth: DashboardAuth, loopback: Bool, token: Bool = true, session: Bool = false,
                  bearer: BearerAuthorization = .missing) -> DashboardGate {
            DashboardAccess.decide(auth: auth, peerIsLoopback: loopback, hasAdminToken: token, session: session, bearer: bearer)
        }
        #expect(gate(.remote, loopback: true) == .allowed)
        #expect(gate(.remote, loopback: false) == .signIn)
        #expect(gate(.remote, loopback: false, token: false) == .forbidden)
        #expect(gate(.remote, loopback: false, session: true) == .allowed)
        #expect(gate(.always, loopback: true) == .signIn)
        #expect(gate(.always, loopback: true, bearer: .invalid) == .signIn)
        #expect(gate(.always, loopback: true, bearer: .authorized) == .allowed)
    }

    @Test func signInRedirectsOnlyToLocalPaths() {
        #expect(DashboardAccess.safeNext("/servers?x=1") == "/servers?x=1")
        for bad in [nil, "", "//evil.example", "/\\evil.example", "https://evil.example", "servers", "/a\nLocation: x", "/\t/evil.example", "/\r/evil", "/\u{7f}x"] {
            #expect(DashboardAccess.safeNext(bad) == "/")
        }
    }

    @Test func sessionsExpireAndEndAndOnlyTheirHashIsKept() {
        let sessions = DashboardSessions()
        let start = Date(timeIntervalSince1970: 1000)
        let id = sessions.create(now: start)
        #expect(id.count == 64)
        #expect(sessions.isValid(id, now: start.addingTimeInterval(60)))
        #expect(!sessions.isValid(id, now: start.addingTimeInterval(DashboardSessions.lifetime + 1)))
        #expect(!sessions.isValid("forged", now: start))
        sessions.end(id)
        #expect(!sessions.isValid(id, now: start))
        #expect(DashboardSessions.cookie(in: "a=b; capstan_dashboard=xyz; c=d") == "xyz")
        #expect(DashboardSessions.setCookie("xyz").contains("HttpOnly; SameSite=Strict"))
    }

    @Test func loginFormFieldsArePercentDecoded() {
        #expect(DashboardResponder.formFields("token=a%2Bb%26c+d&next=%2Fservers") == ["token": "a+b&c d", "next": "/servers"])
    }
}
