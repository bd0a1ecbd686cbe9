import CapstanCore
import Foundation

/// Whether a request may use the admin endpoints, from its `Authorization` header.
enum BearerAuthorization: Sendable, Equatable {
    case authorized
    /// No `Authorization` header, or not of the `Bearer` scheme.
    case missing
    case invalid

    static func check(header: String?, token: AdminToken) -> BearerAuthorization {
        guard let presented = CapstanCore.bearerToken(header) else { return .missing }
        return token.matches(presented) ? .authorized : .invalid
    }
}
