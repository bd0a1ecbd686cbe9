@testable import CapstanAudit
import GRDB
import Testing

/// The chain's hash is a format: files written by one build are verified by every later one.
struct ChainHashTests {
    /// Pinned to a value computed independently from the format in `ChainHash`'s comment (a
    /// few lines of Python): a change here breaks every existing store.
    @Test func hashOfACallRowIsPinned() {
        let columns: [String: DatabaseValue] = [
            "seq": 7.databaseValue, "kind": "call".databaseValue, "recorded_at": Int64(1_767_225_600_123).databaseValue,
            "started_at": Int64(1_767_225_600_000).databaseValue, "client": "alice".databaseValue,
            "server": "weather".databaseValue, "tool": "forecast".databaseValue, "decision": "allowed".databaseValue,
            "outcome": "ok".databaseValue, "duration_ms": Int64(-1).databaseValue,
            "arguments_sha256": String(repeating: "ab", count: 32).databaseValue,
            "protocol_version": DatabaseValue.null, "error": "é ✓".databaseValue,
            "prev_hash": "ignored".databaseValue, "hash": "ignored".databaseValue,
        ]

        #expect(ChainHash.hash(prev: ChainHash.genesis, columns: columns)
            == "acf29edce2bfb15cd22c1d81271c1d124e9ced979fdc9b4c77708c9c12f1b28a")
    }

    /// Column names are ordered by their UTF-8 bytes, not by Swift's String ordering.
    @Test func columnsAreOrderedByTheirUTF8Bytes() {
        let columns: [String: DatabaseValue] = ["b": 1.databaseValue, "a_z": 2.databaseValue, "é": 3.databaseValue, "Z": 4.databaseValue]

        let encoding = ChainHash.encoding(columns)

        var names: [String] = []
        var i = 0
        while i < encoding.count {
            let length = encoding[i..<i + 4].reduce(0) { $0 << 8 | Int($1) }
            names.append(String(decoding: encoding[i + 4..<i + 4 + length], as: UTF8.self))
            i += 4 + length + 1 + 8  // tag and an 8-byte integer
        }
        #expect(names == ["Z", "a_z", "b", "é"])
    }
}
