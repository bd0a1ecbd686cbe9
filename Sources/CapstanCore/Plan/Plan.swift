/// A plan is data: ordered actions with stable addresses, before/after summaries and a reason
/// for people. Computing it (`Planner`) and showing it (`PlanRenderer`) are separate.
public struct Plan: Sendable, Codable {
    public static let formatVersion = 1

    public var formatVersion = Plan.formatVersion
    public var instance: String
    public var revision: String
    /// The observed state's fingerprint when the plan was made; `apply` of a saved plan
    /// refuses to run once it no longer holds.
    public var observedFingerprint: String
    /// Where the manifests were read, so that a saved plan is applied from the same place.
    public var source: PlanSource?
    public var actions: [PlannedAction]
    /// What the plan converges to, so a saved plan can be applied as it was shown.
    public var desired: DesiredState
    /// Route changes against the gateway; nil when no gateway was reachable to plan against.
    public var routes: RoutePlan?

    public var changes: [PlannedAction] { actions.filter { $0.kind != .noop } }
    public var hasChanges: Bool { actions.contains { $0.kind != .noop } || !(routes?.changes.isEmpty ?? true) }

    public func count(_ kind: ActionKind) -> Int { actions.filter { $0.kind == kind }.count }
}

public struct PlanSource: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case directory, git
    }

    public var kind: Kind
    /// A directory path, or a repository path or URL (never with credentials in it).
    public var location: String
    public var ref: String?

    public init(kind: Kind, location: String, ref: String? = nil) {
        self.kind = kind
        self.location = location
        self.ref = ref
    }
}

public enum ActionKind: String, Sendable, Codable, CaseIterable {
    case build, create, replace, start, delete, noop
    /// The gateway's route table replaced: an apply step from `Plan.routes`, never a planned action.
    case routes
}

public struct PlannedAction: Sendable, Codable, Equatable {
    /// `image.<project>`, `server.<name>`, or `container.<id>` for a stray duplicate.
    public var address: String
    public var kind: ActionKind
    /// Why, for people: "container missing", "env LOG_LEVEL changed".
    public var reason: String
    public var changes: [FieldChange]
    public var before: ResourceSummary?
    public var after: ResourceSummary?
    /// Addresses that must succeed first (a server waits for its image).
    public var dependsOn: [String]

    public init(address: String, kind: ActionKind, reason: String, changes: [FieldChange] = [],
                before: ResourceSummary? = nil, after: ResourceSummary? = nil, dependsOn: [String] = []) {
        self.address = address
        self.kind = kind
        self.reason = reason
        self.changes = changes
        self.before = before
        self.after = after
        self.dependsOn = dependsOn
    }
}

/// What a resource looks like on one side of an action. Never holds a secret value.
public struct ResourceSummary: Sendable, Codable, Equatable {
    public var containerID: String?
    public var containerName: String?
    public var state: String?
    public var image: String?
    public var specHash: String?
    public var revision: String?

    public init(containerID: String? = nil, containerName: String? = nil, state: String? = nil, image: String? = nil,
                specHash: String? = nil, revision: String? = nil) {
        self.containerID = containerID
        self.containerName = containerName
        self.state = state
        self.image = image
        self.specHash = specHash
        self.revision = revision
    }
}
