import Foundation

/// One entry of `GET /images/json`.
public struct ImageSummary: Sendable, Equatable, Decodable {
    public var id: String
    public var repoTags: [String]
    public var labels: [String: String]
    public var created: Date
    /// Bytes.
    public var size: Int

    enum CodingKeys: String, CodingKey {
        case id = "Id", repoTags = "RepoTags", labels = "Labels", created = "Created", size = "Size"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        // Untagged images report `["<none>:<none>"]` in older engines, null in newer ones.
        repoTags = try c.decode(.repoTags, default: [String]()).filter { $0 != "<none>:<none>" }
        labels = try c.decode(.labels, default: [:])
        created = Date(timeIntervalSince1970: TimeInterval(try c.decode(.created, default: 0)))
        size = try c.decode(.size, default: 0)
    }
}
