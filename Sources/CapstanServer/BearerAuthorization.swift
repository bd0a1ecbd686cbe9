import Foundation

/// Whether a request may use the admin endpoints, from its `Authorization` header.
enum BearerAuthorization: Sendable, Equatable {
    case authorized
    /// No `Authorization` header, or not of the `Bearer` scheme.
    case missing
    case invalid

    static func check(header: String?, token: AdminToken) -> BearerAuthorization {
        guard let presented = bearerToken(header) else { return .missing }
        return token.matches(presented) ? .authorized : .invalid
    }

    /// The token of `Bearer <token>`; the scheme is case-insensitive (RFC 9110 §11.1).
    static func bearerToken(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}
