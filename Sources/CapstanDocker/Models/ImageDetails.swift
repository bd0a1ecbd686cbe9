import Foundation

/// What `GET /images/{ref}/json` says about one image.
public struct ImageDetails: Sendable, Equatable, Decodable {
    public var id: String
    public var repoTags: [String]
    public var labels: [String: String]
    public var created: Date?
    public var config: ImageConfig

    enum CodingKeys: String, CodingKey {
        case id = "Id", repoTags = "RepoTags", created = "Created", config = "Config"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        repoTags = try c.decode(.repoTags, default: [])
        created = DockerTimestamp.parse(try c.decode(.created, default: ""))
        // An imported image (`docker import`) may have no config at all.
        let raw = try c.decode(.config, default: ImageConfig.RawConfig())
        labels = raw.labels
        config = ImageConfig(entrypoint: raw.entrypoint, cmd: raw.cmd, user: raw.user)
    }
}

/// The defaults an image gives the containers made from it.
public struct ImageConfig: Sendable, Equatable {
    public var entrypoint: [String]
    public var cmd: [String]
    public var user: String

    struct RawConfig: Decodable {
        var entrypoint: [String] = []
        var cmd: [String] = []
        var user = ""
        var labels: [String: String] = [:]

        init() {}

        enum CodingKeys: String, CodingKey {
            case entrypoint = "Entrypoint", cmd = "Cmd", user = "User", labels = "Labels"
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            entrypoint = try c.decode(.entrypoint, default: [])
            cmd = try c.decode(.cmd, default: [])
            user = try c.decode(.user, default: "")
            labels = try c.decode(.labels, default: [:])
        }
    }
}
