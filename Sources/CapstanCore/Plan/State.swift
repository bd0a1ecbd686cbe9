/// What the repository asks for, resolved against the secret store and the images at hand.
public struct DesiredState: Sendable, Codable {
    public var instance: String
    /// The commit applied, or a working-directory marker.
    public var revision: String
    public var images: [DesiredImage]
    public var servers: [DesiredServer]
    /// The gateway's routes these manifests ask for.
    public var routes: RouteTable

    public init(instance: String, revision: String, images: [DesiredImage], servers: [DesiredServer],
                routes: RouteTable = RouteTable()) {
        self.instance = instance
        self.revision = revision
        self.images = images
        self.servers = servers
        self.routes = routes
    }
}

/// An image built from a Project.
public struct DesiredImage: Sendable, Codable, Equatable {
    public var project: String
    /// Covers the context tree, the Dockerfile path, the build arguments and the target.
    public var contextHash: String
    /// Repository-relative context directory and Dockerfile path inside it.
    public var context: String
    public var dockerfile: String
    public var buildArgs: [String: String]
    public var target: String?

    /// `capstan/<project>:<first 12 hex of the context hash>`.
    public var tag: String {
        "capstan/\(project):" + contextHash.dropFirst("sha256:".count).prefix(12)
    }

    public init(project: String, contextHash: String, context: String, dockerfile: String,
                buildArgs: [String: String], target: String?) {
        self.project = project
        self.contextHash = contextHash
        self.context = context
        self.dockerfile = dockerfile
        self.buildArgs = buildArgs
        self.target = target
    }
}

public struct DesiredServer: Sendable, Codable, Equatable {
    public enum ImageSource: Sendable, Codable, Equatable {
        /// An image ID already on the engine.
        case resolved(id: String)
        /// Built by this apply, from the named Project.
        case build(project: String)
    }

    public var name: String
    public var image: ImageSource
    /// The spec with `image` empty while the image is still to be built.
    public var spec: RuntimeSpec
    /// Env var name → secret name, to fill values in at apply time.
    public var secretNames: [String: String]

    public init(name: String, image: ImageSource, spec: RuntimeSpec, secretNames: [String: String]) {
        self.name = name
        self.image = image
        self.spec = spec
        self.secretNames = secretNames
    }

    /// The spec once the image ID is known.
    public func spec(withImage id: String) -> RuntimeSpec {
        var s = spec
        s.image = id
        return s
    }
}

/// What Docker runs that this instance owns.
public struct ObservedState: Sendable, Codable, Equatable {
    public var containers: [ObservedContainer]
    /// Image tag → image ID, for the images Capstan built.
    public var imagesByTag: [String: String]
    /// The gateway's route table; nil when no gateway is reachable (routes are then not planned).
    public var routes: VersionedRouteTable?

    public init(containers: [ObservedContainer], imagesByTag: [String: String], routes: VersionedRouteTable? = nil) {
        self.containers = containers
        self.imagesByTag = imagesByTag
        self.routes = routes
    }

    /// A digest of everything a plan was computed from; a saved plan applies only while it holds.
    public var fingerprint: String {
        let lines = containers.sorted { $0.id < $1.id }.map { "\($0.id) \($0.name) \($0.state.rawValue) \($0.specHash ?? "-")" }
            + imagesByTag.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            + (routes.map { ["routes \($0.generation)"] } ?? [])
        return "sha256:" + sha256Hex(Array(lines.joined(separator: "\n").utf8))
    }
}

public struct ObservedContainer: Sendable, Codable, Equatable {
    public enum State: String, Sendable, Codable {
        case created, running, paused, restarting, removing, exited, dead
    }

    public var id: String
    public var name: String
    /// The `capstan.name` label: the Server it runs.
    public var server: String
    public var state: State
    public var specHash: String?
    /// The `capstan.spec` label, for field-level diffs.
    public var spec: RuntimeSpec?
    public var revision: String?

    public init(id: String, name: String, server: String, state: State, specHash: String?, spec: RuntimeSpec?, revision: String?) {
        self.id = id
        self.name = name
        self.server = server
        self.state = state
        self.specHash = specHash
        self.spec = spec
        self.revision = revision
    }
}
