/// The part of a container's configuration that the host enforces: network, filesystem,
/// privileges and limits. The same shape is sent on create and read back on inspect, so a
/// caller can compare what it asked for with what runs.
public struct HostConfig: Sendable, Equatable, Codable {
    public var networkMode: String
    public var readonlyRootfs: Bool
    /// Mount point → mount options (`"/tmp": "rw,noexec,nosuid,size=64m"`).
    public var tmpfs: [String: String]
    public var capDrop: [String]
    public var capAdd: [String]
    public var securityOpt: [String]
    /// nil leaves the engine's default (unlimited).
    public var pidsLimit: Int?
    /// Bytes; 0 is unlimited.
    public var memory: Int
    /// CPUs in units of 10⁻⁹; 0 is unlimited.
    public var nanoCpus: Int
    public var privileged: Bool
    public var restartPolicy: RestartPolicy
    /// Run an init process as PID 1 (reaps zombies, forwards signals); nil is the engine default.
    public var `init`: Bool?

    public init(networkMode: String = "none", readonlyRootfs: Bool = false, tmpfs: [String: String] = [:],
                capDrop: [String] = [], capAdd: [String] = [], securityOpt: [String] = [],
                pidsLimit: Int? = nil, memory: Int = 0, nanoCpus: Int = 0, privileged: Bool = false,
                restartPolicy: RestartPolicy = .no, init: Bool? = nil) {
        self.networkMode = networkMode
        self.readonlyRootfs = readonlyRootfs
        self.tmpfs = tmpfs
        self.capDrop = capDrop
        self.capAdd = capAdd
        self.securityOpt = securityOpt
        self.pidsLimit = pidsLimit
        self.memory = memory
        self.nanoCpus = nanoCpus
        self.privileged = privileged
        self.restartPolicy = restartPolicy
        self.`init` = `init`
    }

    enum CodingKeys: String, CodingKey {
        case networkMode = "NetworkMode", readonlyRootfs = "ReadonlyRootfs", tmpfs = "Tmpfs"
        case capDrop = "CapDrop", capAdd = "CapAdd", securityOpt = "SecurityOpt", pidsLimit = "PidsLimit"
        case memory = "Memory", nanoCpus = "NanoCpus", privileged = "Privileged"
        case restartPolicy = "RestartPolicy", `init` = "Init"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        networkMode = try c.decode(.networkMode, default: "")
        readonlyRootfs = try c.decode(.readonlyRootfs, default: false)
        tmpfs = try c.decode(.tmpfs, default: [:])
        capDrop = try c.decode(.capDrop, default: [])
        capAdd = try c.decode(.capAdd, default: [])
        securityOpt = try c.decode(.securityOpt, default: [])
        // The engine reports "no limit" as null or 0 depending on version.
        pidsLimit = try c.decodeIfPresent(Int.self, forKey: .pidsLimit).flatMap { $0 > 0 ? $0 : nil }
        memory = try c.decode(.memory, default: 0)
        nanoCpus = try c.decode(.nanoCpus, default: 0)
        privileged = try c.decode(.privileged, default: false)
        restartPolicy = try c.decode(.restartPolicy, default: .no)
        `init` = try c.decodeIfPresent(Bool.self, forKey: .`init`)
    }
}

public struct RestartPolicy: Sendable, Equatable, Codable {
    /// `no`, `always`, `unless-stopped` or `on-failure`; the engine reads "" as `no`.
    public var name: String
    /// Only meaningful with `on-failure`.
    public var maximumRetryCount: Int

    public init(name: String, maximumRetryCount: Int = 0) {
        self.name = name
        self.maximumRetryCount = maximumRetryCount
    }

    public static let no = RestartPolicy(name: "no")

    enum CodingKeys: String, CodingKey {
        case name = "Name", maximumRetryCount = "MaximumRetryCount"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let name = try c.decode(.name, default: "")
        self.name = name.isEmpty ? "no" : name
        maximumRetryCount = try c.decode(.maximumRetryCount, default: 0)
    }
}
