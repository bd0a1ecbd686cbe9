/// A Docker Engine API version such as 1.41.
public struct APIVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var major: Int
    public var minor: Int

    public init(_ major: Int, _ minor: Int) {
        self.major = major
        self.minor = minor
    }

    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let major = Int(parts[0]), let minor = Int(parts[1]) else { return nil }
        self.init(major, minor)
    }

    public var description: String { "\(major).\(minor)" }

    public static func < (a: APIVersion, b: APIVersion) -> Bool {
        (a.major, a.minor) < (b.major, b.minor)
    }

    /// Docker 20.10: the oldest engine Debian 12 ships, and the first with everything used here
    /// (container wait conditions, `networkmode` and `target` on build, label filters).
    public static let minimum = APIVersion(1, 41)
    /// The newest API whose request and response shapes this client has been checked against.
    public static let maximum = APIVersion(1, 47)

    /// The version to put in every path: the engine's own, capped at what this client knows.
    public static func negotiate(engine: String, minimum: APIVersion = .minimum,
                                 maximum: APIVersion = .maximum) throws(DockerError) -> APIVersion {
        guard let version = APIVersion(engine), version >= minimum else {
            throw .unsupportedVersion(engine: engine, minimum: minimum.description)
        }
        return Swift.min(version, maximum)
    }
}
