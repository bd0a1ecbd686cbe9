@testable import CapstanCore
import Testing

/// Routes computed from manifests, the policy decision, and the route diff a plan shows.
struct RouteTests {
    static let manifests = """
        apiVersion: capstan/v1
        kind: Server
        metadata: {name: weather}
        spec: {image: "mcp/weather:1", tools: [get_forecast, get_alerts, delete_cache], timeout: 5s}
        ---
        apiVersion: capstan/v1
        kind: Server
        metadata: {name: time}
        spec: {image: "mcp/time:1", transport: http, port: 8000}
        ---
        apiVersion: capstan/v1
        kind: Client
        metadata: {name: alice, labels: {team: data}}
        spec: {app: claude-code, tokenHash: "sha256:\(String(repeating: "a", count: 64))"}
        ---
        apiVersion: capstan/v1
        kind: Client
        metadata: {name: bob}
        spec: {app: cursor, tokenHash: "sha256:\(String(repeating: "b", count: 64))"}
        ---
        apiVersion: capstan/v1
        kind: Policy
        metadata: {name: data}
        spec:
          selector: {matchLabels: {team: data}}
          rules:
            - {server: weather, tools: ["*"], effect: allow}
            - {server: weather, tools: ["delete_*"], effect: deny}
            - {server: "*", prompts: ["summary"], effect: allow}
        ---
        apiVersion: capstan/v1
        kind: Policy
        metadata: {name: bob-time}
        spec:
          clients: [bob]
          rules:
            - {server: time, tools: [get_current_time], resources: ["time://*"], effect: allow}
        """

    static func load(_ yaml: String = manifests) throws -> ManifestSet {
        let result = ManifestLoader.load(MemoryTree(files: ["m.yaml": Array(yaml.utf8)]))
        try #require(result.isValid, "\(result.diagnostics.map(\.message))")
        return result.manifests
    }

    @Test func routesNameContainersUrlsTimeoutsAndCoveredRules() throws {
        let table = RouteBuilder.build(manifests: try Self.load(), instance: "team")
        #expect(table.servers.map(\.name) == ["time", "weather"])
        let weather = try #require(table.server(named: "weather"))
        #expect(weather.transport == .stdio && weather.container == "team-weather" && weather.timeoutMilliseconds == 5000)
        let time = try #require(table.server(named: "time"))
        #expect(time.url == "http://127.0.0.1:8000/mcp" && time.timeoutMilliseconds == 60_000)
        let alice = try #require(table.client(named: "alice"))
        #expect(alice.rules.map(\.policy) == ["data", "data", "data"])
        #expect(table.client(named: "bob")?.rules.map(\.policy) == ["bob-time"])
    }

    @Test func defaultIsDenyAndDenyWinsOverAllow() throws {
        let table = RouteBuilder.build(manifests: try Self.load(), instance: "team")
        let alice = try #require(table.client(named: "alice")), bob = try #require(table.client(named: "bob"))
        #expect(Access.allows(alice, server: "weather", kind: .tool, name: "get_alerts"))
        #expect(!Access.allows(alice, server: "weather", kind: .tool, name: "delete_cache"))
        #expect(!Access.allows(alice, server: "time", kind: .tool, name: "get_current_time"))
        #expect(Access.allows(alice, server: "time", kind: .prompt, name: "summary"))
        #expect(!Access.allows(alice, server: "weather", kind: .resource, name: "weather://x"))
        #expect(Access.allows(bob, server: "time", kind: .tool, name: "get_current_time"))
        #expect(!Access.allows(bob, server: "weather", kind: .tool, name: "get_alerts"))
        #expect(Access.allows(bob, server: "time", kind: .resource, name: "time://utc"))
        #expect(!Access.allows(bob, server: "time", kind: .prompt, name: "summary"))
    }

    @Test(arguments: [("get_*", "get_alerts", true), ("get_*", "get", false), ("*", "", true), ("a?c", "abc", true),
                      ("a?c", "ac", false), ("*_cache", "delete_cache", true), ("get_alerts", "get_alertS", false),
                      ("get_alerts", "get_аlerts", false)])  // Cyrillic "а": a look-alike never matches
    func patternsMatchWholeNamesOnly(_ pattern: String, _ name: String, _ expected: Bool) {
        #expect(NamePattern.matches(pattern, name) == expected)
    }

    @Test func gatewayNamesSplitAtTheFirstSeparatorAfterAServerName() {
        #expect(GatewayName.split("weather__get_alerts")! == ("weather", "get_alerts"))
        #expect(GatewayName.split("a__b__c")! == ("a", "b__c"))
        #expect(GatewayName.split("__x") == nil)
        #expect(GatewayName.split("Weather__x") == nil)
        #expect(GatewayName.split("weather__") == nil)
        #expect(GatewayName.split("weather_get") == nil)
    }

    @Test func aPolicyEditShowsAsAClientRouteChangeWithTheToolsGainedAndLost() throws {
        let before = RouteBuilder.build(manifests: try Self.load(), instance: "team")
        let edited = Self.manifests.replacingOccurrences(of: #"tools: ["delete_*"], effect: deny"#, with: #"tools: ["get_forecast"], effect: deny"#)
        let after = RouteBuilder.build(manifests: try Self.load(edited), instance: "team")
        let changes = RouteDiff.changes(desired: after, observed: before)
        #expect(changes == [RouteChange(address: "route.alice", kind: .update, details: ["+weather__delete_cache", "-weather__get_forecast"])])
        #expect(RouteDiff.changes(desired: after, observed: after).isEmpty)
    }

    @Test func newServersAndClientsAreCreatedAndRemovedOnesDeleted() throws {
        let table = RouteBuilder.build(manifests: try Self.load(), instance: "team")
        let changes = RouteDiff.changes(desired: table, observed: RouteTable())
        #expect(changes.map(\.address) == ["backend.time", "backend.weather", "route.alice", "route.bob"])
        #expect(changes.first { $0.address == "route.bob" }?.details == ["+time__get_current_time", "+resource:time__time://*"])
        #expect(changes.first { $0.address == "backend.weather" }?.details == ["stdio team-weather"])
        let removed = RouteDiff.changes(desired: RouteTable(), observed: table)
        #expect(removed.allSatisfy { $0.kind == .delete } && removed.count == 4)
    }

    @Test func aRotatedTokenIsAChangeWithoutShowingEitherHash() throws {
        let table = RouteBuilder.build(manifests: try Self.load(), instance: "team")
        var rotated = table
        rotated.clients[1].tokenHash = "sha256:" + String(repeating: "c", count: 64)
        let changes = RouteDiff.changes(desired: rotated, observed: table)
        #expect(changes == [RouteChange(address: "route.bob", kind: .update, details: ["token replaced"])])
    }

    @Test func plansShowRouteChangesAndCountThemAsChanges() throws {
        let manifests = try Self.load()
        let routes = RouteBuilder.build(manifests: manifests, instance: "team")
        let desired = DesiredState(instance: "team", revision: "r1", images: [], servers: [], routes: routes)
        let plan = Planner.plan(desired: desired, observed: ObservedState(containers: [], imagesByTag: [:],
                                                                          routes: VersionedRouteTable(generation: 7, table: RouteTable())))
        #expect(plan.hasChanges && plan.routes?.observedGeneration == 7)
        let text = PlanRenderer.text(plan)
        #expect(text.contains("  +   route.alice: +prompt:time__summary, +weather__get_forecast, +weather__get_alerts, +prompt:weather__summary"))
        #expect(text.contains("Routes: 4 to add, 0 to change, 0 to remove."))
        #expect(!text.contains("sha256:"))
        let unplanned = Planner.plan(desired: desired, observed: ObservedState(containers: [], imagesByTag: [:]))
        #expect(unplanned.routes == nil && !unplanned.hasChanges)
        #expect(PlanRenderer.text(unplanned).contains("no gateway is reachable"))
    }

    @Test func theRouteGenerationIsPartOfTheObservedFingerprint() {
        let a = ObservedState(containers: [], imagesByTag: [:], routes: VersionedRouteTable(generation: 1, table: RouteTable()))
        let b = ObservedState(containers: [], imagesByTag: [:], routes: VersionedRouteTable(generation: 2, table: RouteTable()))
        #expect(a.fingerprint != b.fingerprint)
    }

    @Test(arguments: [("30s", 30_000), ("500ms", 500), ("2m", 120_000), ("100ms", 100)])
    func timeoutsParse(_ text: String, _ ms: Int) { #expect(CallTimeout.milliseconds(text) == ms) }

    @Test(arguments: ["0s", "99ms", "2h", "61m", "s", "1.5s", "-1s", "30"])
    func badTimeoutsAreRefused(_ text: String) { #expect(CallTimeout.milliseconds(text) == nil) }
}
