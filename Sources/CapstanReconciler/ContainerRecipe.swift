import CapstanCore

/// Labels that mark what Capstan owns (DESIGN.md, "Ownership and change detection").
public enum OwnershipLabel {
    public static let managed = "capstan.managed"
    public static let instance = "capstan.instance"
    public static let kind = "capstan.kind"
    public static let name = "capstan.name"
    public static let specHash = "capstan.spec-hash"
    /// The canonical spec (secret versions, never values), for field-level diffs.
    public static let spec = "capstan.spec"
    public static let revision = "capstan.revision"
    public static let project = "capstan.project"
    public static let contextHash = "capstan.context-hash"
}

/// Everything needed to create one server's container: hardened unless the manifest relaxes it.
public struct ContainerRecipe: Sendable {
    public var image: String
    public var command: [String]
    /// `NAME=value`, secrets included: this value never leaves the process except to the engine.
    public var env: [String]
    public var labels: [String: String]
    /// stdio servers read stdin: it stays open so the server waits for the gateway.
    public var openStdin: Bool
    public var networkMode: String
    public var readOnlyRootFilesystem: Bool
    public var tmpfs: [String: String]
    public var capDrop: [String]
    public var capAdd: [String]
    public var securityOpt: [String]
    public var pidsLimit: Int
    public var memoryBytes: Int
    public var nanoCPUs: Int?
    public var user: String?
    /// A tiny init as PID 1 (Docker's `--init`): it forwards SIGTERM, which a server running as
    /// PID 1 would ignore, so a stop takes milliseconds instead of the whole stop timeout, and it
    /// reaps zombies.
    public var initProcess = true

    /// - Parameter secretValues: env var name → value, for the server's secrets.
    public init(spec: RuntimeSpec, server: String, instance: String, revision: String, secretValues: [String: String]) {
        image = spec.image
        command = spec.command
        env = spec.env.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            + secretValues.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        labels = [
            OwnershipLabel.managed: "true",
            OwnershipLabel.instance: instance,
            OwnershipLabel.kind: "server",
            OwnershipLabel.name: server,
            OwnershipLabel.specHash: spec.hash,
            OwnershipLabel.spec: spec.canonicalJSON,
            OwnershipLabel.revision: revision,
        ]
        openStdin = spec.transport == "stdio"
        networkMode = spec.network
        readOnlyRootFilesystem = spec.readOnlyRootFilesystem
        // A small writable /tmp: most servers need somewhere to write, nothing there survives.
        tmpfs = ["/tmp": "rw,noexec,nosuid,nodev,size=64m"]
        capDrop = ["ALL"]
        capAdd = spec.capAdd
        securityOpt = spec.noNewPrivileges ? ["no-new-privileges:true"] : []
        pidsLimit = spec.pids
        memoryBytes = spec.memoryBytes
        nanoCPUs = spec.nanoCPUs
        user = spec.user
    }
}
