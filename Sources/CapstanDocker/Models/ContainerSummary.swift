import Foundation

/// One entry of `GET /containers/json`.
public struct ContainerSummary: Sendable, Equatable, Decodable {
    public var id: String
    /// Without the engine's leading `/`.
    public var names: [String]
    public var image: String
    public var imageID: String
    public var labels: [String: String]
    /// `created`, `running`, `paused`, `restarting`, `removing`, `exited` or `dead`.
    public var state: String
    /// Human text such as `Up 3 minutes`.
    public var status: String
    public var created: Date

    enum CodingKeys: String, CodingKey {
        case id = "Id", names = "Names", image = "Image", imageID = "ImageID", labels = "Labels"
        case state = "State", status = "Status", created = "Created"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        names = try c.decode(.names, default: [String]()).map(ContainerDetails.strippingSlash)
        image = try c.decode(.image, default: "")
        imageID = try c.decode(.imageID, default: "")
        labels = try c.decode(.labels, default: [:])
        state = try c.decode(.state, default: "")
        status = try c.decode(.status, default: "")
        created = Date(timeIntervalSince1970: TimeInterval(try c.decode(.created, default: 0)))
    }
}
