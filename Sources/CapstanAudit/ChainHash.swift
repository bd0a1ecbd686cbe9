import Crypto
import Foundation
import GRDB

/// The hash chain.
///
///     hash = lowercase-hex( SHA-256( prev_hash ‖ encoding(row) ) )
///
/// `prev_hash` enters as its 64 ASCII hex characters, exactly as stored; the first row's is 64
/// `0`s. `encoding(row)` covers every column of the row except `prev_hash` and `hash` (so `seq`,
/// `kind` and `recorded_at` too), skipping NULLs, in ascending byte order of column name. Each
/// column is
///
///     u32be(byte length of name) ‖ name (UTF-8) ‖ tag ‖ value
///
/// with tag and value:
///
///     0x01 INTEGER  8 bytes, big-endian two's complement
///     0x02 TEXT     u32be(byte length) ‖ UTF-8 bytes
///     0x03 BLOB     u32be(byte length) ‖ bytes
///     0x04 REAL     8 bytes, big-endian IEEE 754 bit pattern (the store never writes one; the
///                   tag exists so that a tampered value is hashed, not formatted)
///
/// Every field is length-prefixed or fixed-size, so the encoding is unambiguous, and it never
/// goes through SQLite's text formatting of numbers. Because NULL columns are skipped, a
/// migration that adds columns for a new row kind leaves the hashes of older rows unchanged.
enum ChainHash {
    static let genesis = String(repeating: "0", count: 64)
    static let chainColumns: Set<String> = ["prev_hash", "hash"]

    static func hash(prev: String, columns: [String: DatabaseValue]) -> String {
        var sha = SHA256()
        sha.update(data: Array(prev.utf8))
        sha.update(data: encoding(columns))
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        for byte in sha.finalize() {
            hex.append(hexDigits[Int(byte >> 4)])
            hex.append(hexDigits[Int(byte & 0x0f)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    static func encoding(_ columns: [String: DatabaseValue]) -> [UInt8] {
        // Each name's bytes once, not once per comparison: this runs for every row written and
        // every row verified.
        let named = columns
            .compactMap { name, value in chainColumns.contains(name) ? nil : (Array(name.utf8), value) }
            .sorted { $0.0.lexicographicallyPrecedes($1.0) }
        var out: [UInt8] = []
        out.reserveCapacity(512)
        for (name, value) in named {
            switch value.storage {
            case .null:
                continue
            case .int64(let i):
                appendBytes(name, to: &out)
                out.append(0x01)
                appendBigEndian(UInt64(bitPattern: i), to: &out)
            case .string(let s):
                appendBytes(name, to: &out)
                out.append(0x02)
                appendBytes(Array(s.utf8), to: &out)
            case .blob(let data):
                appendBytes(name, to: &out)
                out.append(0x03)
                appendBytes(Array(data), to: &out)
            case .double(let d):
                appendBytes(name, to: &out)
                out.append(0x04)
                appendBigEndian(d.bitPattern, to: &out)
            }
        }
        return out
    }

    private static func appendBytes(_ bytes: [UInt8], to out: inout [UInt8]) {
        let count = UInt32(bytes.count)
        out.append(contentsOf: [UInt8(count >> 24), UInt8(count >> 16 & 0xff), UInt8(count >> 8 & 0xff), UInt8(count & 0xff)])
        out.append(contentsOf: bytes)
    }

    private static func appendBigEndian(_ value: UInt64, to out: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) {
            out.append(UInt8(value >> UInt64(shift) & 0xff))
        }
    }
}
