import Crypto
import Foundation
import Synchronization

/// Who may see the dashboard. Loopback peers may by default (the controller binds loopback
/// unless told otherwise; a reverse proxy on the host must authenticate its users itself, see
/// the README); anyone else signs in with the admin token, or sends it as a bearer token.
public enum DashboardAuth: String, Sendable, CaseIterable {
    /// Loopback peers are let in; others sign in.
    case remote
    /// Everyone signs in, loopback too (a reverse proxy on this host that does not authenticate).
    case always
}

enum DashboardGate: Equatable {
    case allowed
    /// Sign in first (a page gets the login form, an API call 401).
    case signIn
    /// There is no admin token to sign in with.
    case forbidden
}

enum DashboardAccess {
    static func decide(auth: DashboardAuth, peerIsLoopback: Bool, hasAdminToken: Bool,
                       session: Bool, bearer: BearerAuthorization) -> DashboardGate {
        if auth == .remote && peerIsLoopback { return .allowed }
        if session || bearer == .authorized { return .allowed }
        return hasAdminToken ? .signIn : .forbidden
    }

    /// A sign-in's `next` may only name a path on this server: `/x`, never `//host` or a URL.
    /// Browsers drop tabs and newlines from a `Location` before reading it (`/\t/host` becomes
    /// `//host`), so any control character, and any backslash, refuses it.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"),
              !next.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f || $0 == "\\" || $0.properties.generalCategory == .control })
        else { return "/" }
        return next
    }
}

/// Signed-in browsers. The cookie carries a random id; only its hash is kept, in memory, so a
/// restart signs everyone out and nothing on disk can be replayed.
final class DashboardSessions: Sendable {
    static let cookieName = "capstan_dashboard"
    static let lifetime: TimeInterval = 12 * 3600
    /// Enough for every browser a team uses; the oldest go first beyond it.
    static let capacity = 1000

    private let sessions = Mutex<[String: Date]>([:])

    /// A new session's cookie value.
    func create(now: Date = Date()) -> String {
        var bytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = generator.next() }
        let id = bytes.map { String($0, radix: 16).leftPadded(2) }.joined()
        sessions.withLock { sessions in
            sessions = sessions.filter { $0.value > now }
            if sessions.count >= Self.capacity, let oldest = sessions.min(by: { $0.value < $1.value }) {
                sessions.removeValue(forKey: oldest.key)
            }
            sessions[Self.hash(id)] = now.addingTimeInterval(Self.lifetime)
        }
        return id
    }

    func isValid(_ id: String?, now: Date = Date()) -> Bool {
        guard let id, !id.isEmpty else { return false }
        return sessions.withLock { ($0[Self.hash(id)] ?? .distantPast) > now }
    }

    func end(_ id: String?) {
        guard let id else { return }
        _ = sessions.withLock { $0.removeValue(forKey: Self.hash(id)) }
    }

    private static func hash(_ id: String) -> String {
        SHA256.hash(data: Array(id.utf8)).map { String($0, radix: 16).leftPadded(2) }.joined()
    }

    /// The session cookie's value from a `Cookie` header.
    static func cookie(in header: String?) -> String? {
        guard let header else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces)
            if pair.hasPrefix(cookieName + "=") { return String(pair.dropFirst(cookieName.count + 1)) }
        }
        return nil
    }

    static func setCookie(_ id: String) -> String {
        "\(cookieName)=\(id); Path=/; HttpOnly; SameSite=Strict; Max-Age=\(Int(lifetime))"
    }

    static let clearCookie = "\(cookieName)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
}

private extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
