import Foundation

/// Turns a Plan into text for people (Terraform-like markers and a summary line) or JSON for
/// programs (schemas/plan.schema.json). Plans hold no secret values, so neither can show one.
public enum PlanRenderer {
    public static func marker(_ kind: ActionKind) -> String {
        switch kind {
        case .build, .create: return "+"
        case .replace: return "-/+"
        case .start, .routes: return "~"
        case .delete: return "-"
        case .noop: return " "
        }
    }

    public static func text(_ plan: Plan) -> String {
        var out = "Instance \"\(plan.instance)\" at revision \(shortRevision(plan.revision))\n\n"
        let changes = plan.changes
        let routeChanges = plan.routes?.changes ?? []
        if changes.isEmpty && routeChanges.isEmpty {
            let running = plan.actions.filter { $0.address.hasPrefix("server.") }.count
            return out + "No changes. The host matches the repository (\(running) \(running == 1 ? "server" : "servers")).\n"
                + (plan.routes == nil ? routesUnplanned : "")
        }
        let width = (changes.map(\.address.count) + routeChanges.map(\.address.count)).max() ?? 0
        for action in changes {
            let mark = marker(action.kind).padding(toLength: 3, withPad: " ", startingAt: 0)
            let address = action.address.padding(toLength: width, withPad: " ", startingAt: 0)
            out += "  \(mark) \(address)  \(action.kind.rawValue) (\(action.reason))\n"
            for change in action.changes {
                out += "        ~ \(change.field): \(show(change.before)) -> \(show(change.after))\n"
            }
        }
        for change in routeChanges {
            let mark = routeMarker(change.kind).padding(toLength: 3, withPad: " ", startingAt: 0)
            out += "  \(mark) \(change.address): \(change.details.joined(separator: ", "))\n"
        }
        out += "\n" + summary(plan) + "\n"
        if let routes = plan.routes {
            if !routeChanges.isEmpty { out += routeSummary(routes) + "\n" }
        } else {
            out += routesUnplanned
        }
        return out
    }

    static let routesUnplanned = "Routes: no gateway is reachable, so routes are not planned; the gateway receives them when it runs.\n"

    static func routeMarker(_ kind: RouteChange.Kind) -> String {
        switch kind {
        case .create: "+"
        case .update: "~"
        case .delete: "-"
        }
    }

    public static func routeSummary(_ routes: RoutePlan) -> String {
        let count = { (kind: RouteChange.Kind) in routes.changes.filter { $0.kind == kind }.count }
        return "Routes: \(count(.create)) to add, \(count(.update)) to change, \(count(.delete)) to remove."
    }

    public static func summary(_ plan: Plan) -> String {
        "Plan: \(plan.count(.build)) to build, \(plan.count(.create)) to create, \(plan.count(.replace)) to replace, "
            + "\(plan.count(.start)) to start, \(plan.count(.delete)) to delete."
    }

    public static func json(_ plan: Plan) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(plan), as: UTF8.self)
    }

    public static func decode(json: [UInt8]) -> Plan? {
        try? JSONDecoder().decode(Plan.self, from: Data(json))
    }

    private static func show(_ value: String?) -> String {
        value.map { "\"\($0)\"" } ?? "(none)"
    }

    static func shortRevision(_ revision: String) -> String {
        revision.count == 40 && revision.allSatisfy(\.isHexDigit) ? String(revision.prefix(12)) : revision
    }
}
