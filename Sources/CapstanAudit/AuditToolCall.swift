import Foundation

/// One MCP `tools/call` that went through the gateway, allowed or not, written when it has ended.
///
/// The arguments are kept only as a hash: they are the client's data and may hold anything.
/// Callers must pass no secret in the other fields either; the error text is meant for people.
/// Texts are capped (see `maxErrorBytes`, `maxNameBytes`).
public struct AuditToolCall: Sendable, Equatable {
    public enum Decision: String, Sendable, CaseIterable {
        case allowed, denied
    }

    public enum Outcome: String, Sendable, CaseIterable {
        /// The server answered with a result.
        case ok
        /// The server answered with a result flagged `isError`.
        case toolError = "tool-error"
        /// A JSON-RPC error, or an answer that breaks the protocol.
        case protocolError = "protocol-error"
        /// No answer within the route's timeout.
        case timeout
        /// Refused by policy: the server was never asked.
        case denied
        /// The backend is down or could not be reached.
        case unavailable
    }

    /// Smaller than `AuditAction.maxErrorBytes`: a failing backend can produce an error for
    /// every one of thousands of calls a second, and the row is there to say which failure it
    /// was, not to keep the server's whole text. Truncated as `CappedText` describes.
    public static let maxErrorBytes = 1024

    /// Client, server, tool and protocol version are capped too. Valid MCP names are far
    /// shorter (128 characters), but a denied call's names are whatever the client sent, and
    /// every denied call is written.
    public static let maxNameBytes = 256

    /// Stored with millisecond precision; the initializer rounds, so a value reads back equal.
    public let startedAt: Date
    /// The client's name, as its credentials resolved.
    public let client: String
    /// The server part of the requested `<server>__<tool>` name (may name no known server when
    /// the call was denied).
    public let server: String
    public let tool: String
    public let decision: Decision
    public let outcome: Outcome
    /// Wall time from receiving the call to having its answer (or refusal).
    public let durationMs: Int64
    /// Lowercase hex SHA-256 of the call's arguments, as the gateway canonicalised them.
    public let argumentsSHA256: String
    /// The MCP protocol revision the client spoke, when known.
    public let protocolVersion: String?
    public let error: String?

    public init(startedAt: Date, client: String, server: String, tool: String, decision: Decision,
                outcome: Outcome, durationMs: Int64, argumentsSHA256: String, protocolVersion: String?,
                error: String?) {
        self.startedAt = Date(milliseconds: startedAt.milliseconds)
        self.client = CappedText.cap(client, bytes: Self.maxNameBytes)
        self.server = CappedText.cap(server, bytes: Self.maxNameBytes)
        self.tool = CappedText.cap(tool, bytes: Self.maxNameBytes)
        self.decision = decision
        self.outcome = outcome
        self.durationMs = durationMs
        self.argumentsSHA256 = CappedText.storable(argumentsSHA256)
        self.protocolVersion = protocolVersion.map { CappedText.cap($0, bytes: Self.maxNameBytes) }
        self.error = error.map { CappedText.cap($0, bytes: Self.maxErrorBytes) }
    }
}
