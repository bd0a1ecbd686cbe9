/// The MCP revisions the gateway speaks to clients. The first four keep sessions opened by
/// `initialize`; 2026-07-28 has neither: every request stands alone and names its revision.
public enum ProtocolRevision: String, Sendable, CaseIterable, Comparable {
    case v2024_11_05 = "2024-11-05"
    case v2025_03_26 = "2025-03-26"
    case v2025_06_18 = "2025-06-18"
    case v2025_11_25 = "2025-11-25"
    case v2026_07_28 = "2026-07-28"

    /// What `initialize` answers when the client asks for a revision the gateway does not know.
    public static let latestSessionRevision = ProtocolRevision.v2025_11_25

    /// The session revisions, newest first.
    public static let sessionRevisions: [ProtocolRevision] = [.v2025_11_25, .v2025_06_18, .v2025_03_26, .v2024_11_05]

    /// Only 2025-03-26 accepts JSON-RPC batches (2025-06-18 removed them again).
    public var allowsBatches: Bool { self == .v2025_03_26 }

    /// Tool `title` and `outputSchema` and a result's `structuredContent` came with 2025-06-18;
    /// clients of earlier revisions are not sent them.
    public var hasStructuredTools: Bool { self >= .v2025_06_18 }

    public var hasSessions: Bool { self != .v2026_07_28 }

    public static func < (lhs: ProtocolRevision, rhs: ProtocolRevision) -> Bool { lhs.rawValue < rhs.rawValue }
}
