import Crypto
import Foundation

/// Everything that decides how a server's container runs, in a canonical form. Its SHA-256 is
/// the spec hash on the container's labels: a different hash means the container is replaced.
/// Secrets appear only as versions (a keyed hash of the value), never as values.
public struct RuntimeSpec: Codable, Sendable, Equatable {
    /// The image ID (`sha256:…`) the container runs.
    public var image: String
    public var command: [String]
    public var env: [String: String]
    /// Env var name → secret version.
    public var secrets: [String: String]
    public var transport: String
    public var port: Int?
    public var path: String?
    public var network: String
    /// CPUs in units of 10⁻⁹, as Docker's NanoCpus: integers keep the canonical JSON exact.
    public var nanoCPUs: Int?
    public var memoryBytes: Int
    public var pids: Int
    public var readOnlyRootFilesystem: Bool
    public var noNewPrivileges: Bool
    public var capAdd: [String]
    public var user: String?

    /// Hardened defaults where a manifest sets no limit.
    public static let defaultMemoryBytes = 256 << 20
    public static let defaultPids = 128

    public init(server: Server, image: String, secretVersions: [String: String]) {
        self.image = image
        command = server.command
        env = server.env.dictionary
        secrets = secretVersions
        transport = server.transport.rawValue
        port = server.port
        path = server.path
        network = server.network
        nanoCPUs = server.resources.cpus.map { Int(($0 * 1e9).rounded()) }
        memoryBytes = server.resources.memory ?? Self.defaultMemoryBytes
        pids = server.resources.pids ?? Self.defaultPids
        readOnlyRootFilesystem = server.hardening.readOnlyRootFilesystem
        noNewPrivileges = server.hardening.noNewPrivileges
        capAdd = server.hardening.capAdd.sorted()
        user = server.hardening.user
    }

    /// Sorted keys, no whitespace: the same spec always gives the same bytes.
    public var canonicalJSON: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings, integers and booleans cannot fail.
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    public var hash: String { "sha256:" + sha256Hex(Array(canonicalJSON.utf8)) }

    public static func decode(canonicalJSON: String) -> RuntimeSpec? {
        try? JSONDecoder().decode(RuntimeSpec.self, from: Data(canonicalJSON.utf8))
    }
}

public func sha256Hex(_ bytes: some Sequence<UInt8>) -> String {
    lowercaseHex(SHA256.hash(data: Array(bytes)))
}

/// Bytes as lowercase hex, two digits each. The gateway hashes on every call, so this avoids
/// a String per byte.
public func lowercaseHex(_ bytes: some Sequence<UInt8>) -> String {
    let digits: [UInt8] = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(64)
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0xF)])
    }
    return String(decoding: out, as: UTF8.self)
}
