/// What the reconciler needs from a container engine. One real implementation, over the
/// Docker Engine API (`DockerEngine`); the seam is here so that Swarm or a remote engine can
/// be added without touching the planner or the applier.
public protocol ContainerEngine: Sendable {
    /// Containers labelled `capstan.managed=true` and `capstan.instance=<instance>`.
    func ownedContainers(instance: String) async throws -> [EngineContainer]
    /// Tag → image ID for every image Capstan built (label `capstan.project`).
    func builtImages() async throws -> [String: String]
    /// The ID of an image reference on the engine, or nil.
    func imageID(_ reference: String) async throws -> String?
    func build(_ request: BuildRequest, log: @escaping @Sendable (String) -> Void) async throws -> String
    func create(name: String, _ container: ContainerRecipe) async throws -> String
    func start(_ id: String) async throws
    func stop(_ id: String, timeoutSeconds: Int) async throws
    func remove(_ id: String) async throws
    func rename(_ id: String, to name: String) async throws
}

public struct EngineContainer: Sendable, Equatable {
    public var id: String
    public var name: String
    /// Docker's state word: created, running, paused, restarting, removing, exited, dead.
    public var state: String
    public var labels: [String: String]

    public init(id: String, name: String, state: String, labels: [String: String]) {
        self.id = id
        self.name = name
        self.state = state
        self.labels = labels
    }
}

public struct BuildRequest: Sendable {
    public var context: [UInt8]
    public var tag: String
    public var dockerfile: String
    public var buildArgs: [String: String]
    public var target: String?
    public var labels: [String: String]
}
