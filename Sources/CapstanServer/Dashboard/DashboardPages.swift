import CapstanAudit
import CapstanCore
import CapstanReconciler
import Foundation

// The dashboard's pages as data. Each page's HTML and its JSON twin under `/api/v1/` are
// rendered from the one value built here, so the page and the API cannot disagree. Builders are
// pure: the responder gathers the inputs, these decide what is shown.

/// `/` and `/api/v1/overview`.
struct OverviewPage: Codable, Sendable, Equatable {
    struct Counts: Codable, Sendable, Equatable {
        var servers = 0
        var running = 0
        var inSync = 0
        var drifted = 0
        var crashLooping = 0
    }

    var instance: String
    var repository: String
    var branch: String
    /// `synced`, `out-of-sync`, `failed`, `syncing` or `unknown` (no attempt yet).
    var syncState: String
    var lastAppliedRevision: String?
    var lastApplied: ControllerStatus.Commit?
    var lastAttempt: ControllerStatus.Attempt?
    var counts: Counts
    var nextPoll: Date?
    var generatedAt: Date

    static func build(status: ControllerStatus, now: Date) -> OverviewPage {
        var counts = Counts()
        for resource in status.resources where resource.address.hasPrefix("server.") {
            counts.servers += 1
            if resource.observed == "running" { counts.running += 1 }
            if resource.crashLooping {
                counts.crashLooping += 1
            } else if resource.inSync {
                counts.inSync += 1
            } else {
                counts.drifted += 1
            }
        }
        return OverviewPage(instance: status.instance, repository: status.repository, branch: status.branch,
                            syncState: syncState(status), lastAppliedRevision: status.lastAppliedRevision,
                            lastApplied: status.lastAppliedCommit, lastAttempt: status.lastAttempt,
                            counts: counts, nextPoll: status.nextPoll, generatedAt: now)
    }

    static func syncState(_ status: ControllerStatus) -> String {
        if status.syncing { return "syncing" }
        guard let attempt = status.lastAttempt else { return "unknown" }
        if attempt.result != "succeeded" { return "failed" }
        return status.resources.allSatisfy(\.inSync) ? "synced" : "out-of-sync"
    }
}

/// `/servers` and `/api/v1/servers`.
struct ServersPage: Codable, Sendable, Equatable {
    struct Tool: Codable, Sendable, Equatable {
        var name: String
        var description: String?
        /// Clients whose policies allow calling it.
        var clients: [String]
    }

    struct Server: Codable, Sendable, Equatable {
        var name: String
        var inSync: Bool
        var pending: String?
        var desiredState: String
        var observedState: String
        var desiredImage: String?
        var observedImage: String?
        var desiredSpecHash: String?
        var observedSpecHash: String?
        var restarts: Int
        var crashLooping: Bool
        /// nil when the gateway could not list them (see `toolsError`), or runs elsewhere.
        var tools: [Tool]?
        var toolsError: String?
    }

    var servers: [Server]
    /// False when this controller has no gateway to ask (`--no-gateway`).
    var gateway: Bool

    static func build(status: ControllerStatus, routes: RouteTable?, catalog: [ServerTools]) -> ServersPage {
        let byServer = Dictionary(catalog.map { ($0.server, $0) }, uniquingKeysWith: { a, _ in a })
        let servers = status.resources.filter { $0.address.hasPrefix("server.") }.map { resource -> Server in
            let name = String(resource.address.dropFirst("server.".count))
            let offered = byServer[name]
            let tools = offered?.tools.map { tools in
                tools.map { tool in
                    Tool(name: tool.name, description: tool.description,
                         clients: (routes?.clients ?? []).filter { Access.allows($0, server: name, kind: .tool, name: tool.name) }
                             .map(\.name).sorted())
                }
            }
            let error = routes == nil ? "no gateway runs in this controller"
                : offered == nil ? "not routed by the gateway" : offered?.error
            return Server(name: name, inSync: resource.inSync, pending: resource.pending, desiredState: resource.desired,
                          observedState: resource.observed, desiredImage: resource.desiredImage, observedImage: resource.observedImage,
                          desiredSpecHash: resource.desiredSpecHash.map(shortHash), observedSpecHash: resource.observedSpecHash.map(shortHash),
                          restarts: resource.restarts, crashLooping: resource.crashLooping,
                          tools: tools, toolsError: tools == nil ? error : nil)
        }
        return ServersPage(servers: servers, gateway: routes != nil)
    }

    static func shortHash(_ hash: String) -> String {
        let hex = hash.hasPrefix("sha256:") ? hash.dropFirst("sha256:".count) : Substring(hash)
        return String(hex.prefix(12))
    }
}

/// `/access` and `/api/v1/access`: clients × tools, as the policies decide.
struct AccessPage: Codable, Sendable, Equatable {
    struct Column: Codable, Sendable, Equatable {
        var server: String
        var tool: String
    }

    struct Row: Codable, Sendable, Equatable {
        var client: String
        /// One per column.
        var allowed: [Bool]
        /// The client's rules, as `allow weather: get_*` (policy name in parentheses).
        var rules: [String]
    }

    var columns: [Column]
    var rows: [Row]
    /// Servers whose tools could not be listed: their cells are unknown, their rules still shown.
    var unlisted: [String]
    var gateway: Bool

    static func build(routes: RouteTable?, catalog: [ServerTools]) -> AccessPage {
        guard let routes else { return AccessPage(columns: [], rows: [], unlisted: [], gateway: false) }
        var columns: [Column] = []
        var unlisted: [String] = []
        for server in routes.servers {
            guard let tools = catalog.first(where: { $0.server == server.name })?.tools else {
                unlisted.append(server.name)
                continue
            }
            columns += tools.map { Column(server: server.name, tool: $0.name) }
        }
        let rows = routes.clients.sorted { $0.name < $1.name }.map { client in
            Row(client: client.name,
                allowed: columns.map { Access.allows(client, server: $0.server, kind: .tool, name: $0.tool) },
                rules: client.rules.map { rule in
                    var kinds: [String] = []
                    if !rule.tools.isEmpty { kinds.append("tools " + rule.tools.joined(separator: ", ")) }
                    if !rule.prompts.isEmpty { kinds.append("prompts " + rule.prompts.joined(separator: ", ")) }
                    if !rule.resources.isEmpty { kinds.append("resources " + rule.resources.joined(separator: ", ")) }
                    return "\(rule.effect.rawValue) \(rule.server): \(kinds.joined(separator: "; ")) (\(rule.policy))"
                })
        }
        return AccessPage(columns: columns, rows: rows, unlisted: unlisted, gateway: true)
    }
}

/// `/history` and `/api/v1/history`.
struct HistoryPage: Codable, Sendable, Equatable {
    struct Action: Codable, Sendable, Equatable {
        /// `+`, `-/+`, `~`, … as `capstan plan` marks the kind.
        var marker: String
        var address: String
        var kind: String
        var outcome: String
        var durationMs: Int64
        var error: String?
    }

    struct Run: Codable, Sendable, Equatable {
        var id: String
        var revision: String
        var trigger: String
        var startedAt: Date
        var durationMs: Int64
        var result: String
        var actions: [Action]
    }

    var runs: [Run]
    var includeNoop: Bool

    static let limit = 50

    static func build(_ history: [AuditRunHistory], includeNoop: Bool) -> HistoryPage {
        HistoryPage(runs: history.map { entry in
            Run(id: entry.run.id, revision: entry.run.revision, trigger: entry.run.trigger.rawValue, startedAt: entry.run.startedAt,
                durationMs: Int64((entry.run.finishedAt.timeIntervalSince(entry.run.startedAt) * 1000).rounded()),
                result: entry.run.result.rawValue,
                actions: entry.actions.map { action in
                    Action(marker: ActionKind(rawValue: action.kind).map(PlanRenderer.marker) ?? "!", address: action.address,
                           kind: action.kind, outcome: action.outcome.rawValue, durationMs: action.durationMs, error: action.error)
                })
        }, includeNoop: includeNoop)
    }
}

/// The filters of `/calls` and `/api/v1/calls`, from the query string.
struct CallQuery: Codable, Sendable, Equatable {
    var client: String?
    var server: String?
    var tool: String?
    var decision: String?
    /// `1h`, `24h`, `7d` or `all`.
    var window: String
    var limit: Int

    static let windows: [(name: String, seconds: TimeInterval?)] = [("1h", 3600), ("24h", 86400), ("7d", 7 * 86400), ("all", nil)]

    enum Problem: Error, Equatable, CustomStringConvertible {
        case badDecision(String)
        case badWindow(String)
        case badLimit(String)

        var description: String {
            switch self {
            case .badDecision(let v): return "decision \"\(v)\" is not allowed or denied"
            case .badWindow(let v): return "window \"\(v)\" is not one of 1h, 24h, 7d, all"
            case .badLimit(let v): return "limit \"\(v)\" is not a number from 1 to 1000"
            }
        }
    }

    static func parse(_ parameters: [(String, String)]) throws(Problem) -> CallQuery {
        var query = CallQuery(window: "24h", limit: 100)
        for (name, value) in parameters where !value.isEmpty {
            switch name {
            case "client": query.client = value
            case "server": query.server = value
            case "tool": query.tool = value
            case "decision":
                guard AuditToolCall.Decision(rawValue: value) != nil else { throw .badDecision(value) }
                query.decision = value
            case "window":
                guard windows.contains(where: { $0.name == value }) else { throw .badWindow(value) }
                query.window = value
            case "limit":
                guard let n = Int(value), (1...1000).contains(n) else { throw .badLimit(value) }
                query.limit = n
            default: continue
            }
        }
        return query
    }

    func since(now: Date) -> Date? {
        Self.windows.first { $0.name == window }?.seconds.map { now.addingTimeInterval(-$0) }
    }
}

/// `/calls` and `/api/v1/calls`.
struct CallsPage: Codable, Sendable, Equatable {
    struct Call: Codable, Sendable, Equatable {
        var at: Date
        var client: String
        var server: String
        var tool: String
        var decision: String
        var outcome: String
        var durationMs: Int64
        var error: String?
    }

    var query: CallQuery
    /// Newest first, at most `query.limit`.
    var calls: [Call]
    var stats: [AuditCallStats]

    static func build(query: CallQuery, calls: [AuditToolCall], stats: [AuditCallStats]) -> CallsPage {
        CallsPage(query: query, calls: calls.reversed().map { call in
            Call(at: call.startedAt, client: call.client, server: call.server, tool: call.tool, decision: call.decision.rawValue,
                 outcome: call.outcome.rawValue, durationMs: call.durationMs, error: call.error)
        }, stats: stats)
    }
}
