/// Percent-encoding for query values and path segments, by RFC 3986's unreserved set, so a
/// value can never break out of its parameter or segment.
enum QueryString {
    static func encode(_ items: [(name: String, value: String)]) -> String {
        items.map { escape($0.name) + "=" + escape($0.value) }.joined(separator: "&")
    }

    /// Also keeps `:`, `@` and `/` for path segments such as image references
    /// (`python:3.11-slim-bookworm`, `capstan/x@sha256:…`), which the engine's router matches
    /// as they are.
    static func escapePath(_ segment: String) -> String {
        escape(segment, extra: [UInt8(ascii: ":"), UInt8(ascii: "@"), UInt8(ascii: "/")])
    }

    static func escape(_ value: String, extra: Set<UInt8> = []) -> String {
        var out = ""
        for byte in value.utf8 {
            if isUnreserved(byte) || extra.contains(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }

    private static func isUnreserved(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }
}
