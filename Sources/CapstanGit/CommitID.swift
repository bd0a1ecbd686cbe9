import CGit2

/// A commit's full object id: 40 lowercase hex digits.
public struct CommitID: Sendable, Hashable, CustomStringConvertible {
    public let hex: String

    /// Accepts exactly 40 hex digits, in either case; an abbreviated id goes through `resolve(ref:)`.
    public init?(hex: String) {
        let lower = hex.lowercased()
        guard lower.utf8.count == 40, lower.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
            return nil
        }
        self.hex = lower
    }

    init(_ oid: git_oid) {
        var oid = oid
        var buffer = [UInt8](repeating: 0, count: 40)
        buffer.withUnsafeMutableBytes { _ = git_oid_fmt($0.baseAddress!.assumingMemoryBound(to: CChar.self), &oid) }
        hex = String(decoding: buffer, as: UTF8.self)
    }

    /// The libgit2 form; `hex` is validated on construction, so parsing cannot fail.
    var oid: git_oid {
        var oid = git_oid()
        _ = git_oid_fromstrn(&oid, hex, 40)
        return oid
    }

    public var description: String { hex }
}
