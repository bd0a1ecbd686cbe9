import Foundation

/// One line of `GET /events`.
public struct DockerEvent: Sendable, Equatable, Decodable {
    /// `container`, `image`, `network`, `volume`, …
    public var type: String
    /// `create`, `start`, `die`, `destroy`, …; `exec_start: …` style actions keep their suffix.
    public var action: String
    public var actorID: String
    /// Labels and details: for a container its labels, `name`, `image`, `exitCode`.
    public var attributes: [String: String]
    public var time: Date

    enum CodingKeys: String, CodingKey {
        case type = "Type", action = "Action", actor = "Actor", time, timeNano
    }

    struct Actor: Decodable {
        var id: String
        var attributes: [String: String]

        enum CodingKeys: String, CodingKey { case id = "ID", attributes = "Attributes" }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            id = try c.decode(.id, default: "")
            attributes = try c.decode(.attributes, default: [:])
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decode(.type, default: "")
        action = try c.decode(.action, default: "")
        let actor = try c.decodeIfPresent(Actor.self, forKey: .actor)
        actorID = actor?.id ?? ""
        attributes = actor?.attributes ?? [:]
        if let nanos = try c.decodeIfPresent(Int64.self, forKey: .timeNano) {
            time = Date(timeIntervalSince1970: TimeInterval(nanos) / 1e9)
        } else {
            time = Date(timeIntervalSince1970: TimeInterval(try c.decode(.time, default: 0)))
        }
    }
}
