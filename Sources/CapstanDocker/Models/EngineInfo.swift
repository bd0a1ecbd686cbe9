/// What `GET /version` says about the engine.
public struct EngineInfo: Sendable, Equatable, Decodable {
    public var version: String
    public var apiVersion: String
    public var minAPIVersion: String
    public var os: String
    public var arch: String

    enum CodingKeys: String, CodingKey {
        case version = "Version", apiVersion = "ApiVersion", minAPIVersion = "MinAPIVersion"
        case os = "Os", arch = "Arch"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        version = try c.decode(String.self, forKey: .version)
        apiVersion = try c.decode(String.self, forKey: .apiVersion)
        minAPIVersion = try c.decode(.minAPIVersion, default: "")
        os = try c.decode(.os, default: "")
        arch = try c.decode(.arch, default: "")
    }
}
