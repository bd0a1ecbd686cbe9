/// A tool as its server lists it: the name and the one-line description, nothing of its schema.
public struct OfferedTool: Sendable, Codable, Equatable {
    public var name: String
    public var description: String?

    public init(name: String, description: String? = nil) {
        self.name = name
        self.description = description
    }
}

/// What the gateway last learned a server offers, or why it could not learn it.
public struct ServerTools: Sendable, Codable, Equatable {
    public var server: String
    /// nil when the server could not be asked (see `error`).
    public var tools: [OfferedTool]?
    public var error: String?

    public init(server: String, tools: [OfferedTool]?, error: String? = nil) {
        self.server = server
        self.tools = tools
        self.error = error
    }
}
