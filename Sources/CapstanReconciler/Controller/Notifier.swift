import Crypto
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The outgoing webhook: a JSON POST on sync failure, recovery and crash loop, signed like
/// GitHub's (`X-Capstan-Signature-256: sha256=<hex HMAC-SHA256 of the body>`). Sent once per
/// change of state, never once per retry.
public struct Notifier: Sendable {
    public struct Event: Sendable, Codable, Equatable {
        /// `sync_failed`, `recovered` or `crash_looping`.
        public var event: String
        public var instance: String
        public var revision: String?
        public var server: String?
        public var errors: [String]
        public var at: Date
    }

    public let url: URL
    private let secret: [UInt8]

    public init(url: URL, secret: [UInt8]) {
        self.url = url
        self.secret = secret
    }

    /// Delivers one event; returns whether the receiver answered 2xx. Failures are the
    /// receiver's problem to see in its own logs: the controller counts them and moves on.
    public func send(_ event: Event) async -> Bool {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        guard let body = try? encoder.encode(event) else { return false }
        let signature = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: secret))
        var request = URLRequest(url: url, timeoutInterval: 10)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("sha256=" + signature.map { String(format: "%02x", $0) }.joined(), forHTTPHeaderField: "X-Capstan-Signature-256")
        request.setValue(event.event, forHTTPHeaderField: "X-Capstan-Event")
        guard let (_, response) = try? await URLSession.shared.data(for: request) else { return false }
        return ((response as? HTTPURLResponse)?.statusCode ?? 0) / 100 == 2
    }
}
