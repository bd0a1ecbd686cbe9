import CapstanCore

/// Desired against observed, one row per resource, derived from a plan: a resource is in sync
/// exactly when its planned action is a no-op.
public struct StatusReport: Sendable, Codable {
    public struct Row: Sendable, Codable, Equatable {
        public var address: String
        public var desired: String
        public var observed: String
        public var container: String?
        public var revision: String?
        public var inSync: Bool
        /// What the next apply would do, and why; empty when in sync.
        public var pending: String?
    }

    public var instance: String
    public var revision: String
    public var rows: [Row]

    public var inSync: Bool { rows.allSatisfy(\.inSync) }

    public init(plan: Plan) {
        instance = plan.instance
        revision = plan.revision
        rows = plan.actions.map { action in
            let isImage = action.address.hasPrefix("image.")
            let desired: String
            let observed: String
            if isImage {
                desired = action.after?.image ?? "-"
                observed = action.before?.state ?? "missing"
            } else {
                desired = action.kind == .delete ? "absent" : "running"
                observed = action.before?.state ?? "missing"
            }
            return Row(address: action.address, desired: desired, observed: observed,
                       container: action.before?.containerID.map { String($0.prefix(12)) },
                       revision: action.before?.revision, inSync: action.kind == .noop,
                       pending: action.kind == .noop ? nil : "\(action.kind.rawValue): \(action.reason)")
        }
    }

    public var text: String {
        let header = ["RESOURCE", "DESIRED", "OBSERVED", "CONTAINER", "REVISION", "SYNC"]
        let table = rows.map { r in
            [r.address, r.desired, r.observed, r.container ?? "-", r.revision.map(shortRevision) ?? "-",
             r.inSync ? "yes" : "no (\(r.pending ?? ""))"]
        }
        let widths = (0..<header.count).map { i in ([header] + table).map { $0[i].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in i == cells.count - 1 ? c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }
        var out = "Instance \"\(instance)\", repository at \(shortRevision(revision))\n\n"
        out += ([line(header)] + table.map(line)).joined(separator: "\n") + "\n"
        let drifted = rows.filter { !$0.inSync }.count
        out += "\n" + (drifted == 0 ? "In sync: \(rows.count) resources match the repository." : "\(drifted) of \(rows.count) resources differ from the repository; `capstan apply` converges them.") + "\n"
        return out
    }

    private func shortRevision(_ r: String) -> String {
        r.count == 40 ? String(r.prefix(12)) : r
    }
}
