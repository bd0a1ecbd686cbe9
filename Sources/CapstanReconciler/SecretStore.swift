import Crypto
import Foundation

/// Secrets as Docker and Kubernetes mount them: one file per secret in a directory, named for
/// the secret, its content the value (one trailing newline, as `echo` writes, is dropped).
///
/// A secret's *version* is an HMAC of its value under a key kept in the state directory: it
/// changes whenever the value does (so the containers using it are replaced), yet unlike a
/// plain hash it cannot be checked against guesses by anyone who sees a plan or a label.
public struct SecretStore: Sendable {
    public let directory: String?
    /// The HMAC key's bytes (SymmetricKey is not Sendable).
    private let key: [UInt8]

    public init(directory: String?, stateDirectory: String) throws(ReconcileError) {
        self.directory = directory
        key = try Self.loadOrCreateKey(at: stateDirectory + "/secret-version.key")
    }

    /// The value, or nil when the store has no such secret.
    public func value(_ name: String) throws(ReconcileError) -> [UInt8]? {
        guard let directory else { return nil }
        let path = directory + "/" + name
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard var bytes = FileManager.default.contents(atPath: path).map(Array.init) else {
            throw .secretUnreadable(name: name, directory: directory)
        }
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        // Refused here, at plan time, before anything is applied: the engine would refuse it
        // later with a message that quotes the value.
        if bytes.contains(0) { throw .secretHasNul(name: name, directory: directory) }
        return bytes
    }

    public func version(_ name: String) throws(ReconcileError) -> String? {
        guard let value = try value(name) else { return nil }
        let mac = HMAC<SHA256>.authenticationCode(for: value, using: SymmetricKey(data: key))
        return "hmac-sha256:" + Data(mac).prefix(16).map { String(format: "%02x", $0) }.joined()
    }

    private static func loadOrCreateKey(at path: String) throws(ReconcileError) -> [UInt8] {
        let fm = FileManager.default
        if let data = fm.contents(atPath: path), data.count == 32 {
            return Array(data)
        }
        let data = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        do {
            try fm.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            guard fm.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]) else {
                throw CocoaError(.fileWriteUnknown)
            }
        } catch {
            throw .stateDirectory(path: path, reason: "cannot write the secret version key: \(error.localizedDescription)")
        }
        return Array(data)
    }
}
