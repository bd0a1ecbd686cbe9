/// The query of `POST /build` (the classic builder). Defaults suit reproducible, offline
/// builds: no network in RUN steps, no pulls, intermediate containers always removed.
public struct BuildOptions: Sendable, Equatable {
    public var tags: [String]
    /// Path of the Dockerfile inside the context.
    public var dockerfile: String
    public var buildArgs: [String: String]
    /// The stage of a multi-stage Dockerfile to stop at.
    public var target: String?
    public var labels: [String: String]
    public var networkMode: String
    public var pull: Bool
    public var noCache: Bool
    public var rm: Bool
    public var forceRm: Bool

    public init(tags: [String] = [], dockerfile: String = "Dockerfile", buildArgs: [String: String] = [:],
                target: String? = nil, labels: [String: String] = [:], networkMode: String = "none",
                pull: Bool = false, noCache: Bool = false, rm: Bool = true, forceRm: Bool = true) {
        self.tags = tags
        self.dockerfile = dockerfile
        self.buildArgs = buildArgs
        self.target = target
        self.labels = labels
        self.networkMode = networkMode
        self.pull = pull
        self.noCache = noCache
        self.rm = rm
        self.forceRm = forceRm
    }
}
