/// A parsed JSON document that remembers where every value and key sits in the file's bytes, so
/// an edit can replace exactly one member and leave every other byte as the user wrote it.
struct ConfigJSONNode: Sendable {
    enum Kind: Sendable {
        case object([Member])
        case array([ConfigJSONNode])
        case scalar
    }

    struct Member: Sendable {
        var key: String
        /// Offset of the key's opening quote.
        var keyStart: Int
        var value: ConfigJSONNode
    }

    var kind: Kind
    var value: ConfigJSON
    /// Byte range of the value: `[start, end)`.
    var start: Int
    var end: Int

    var members: [Member]? {
        if case .object(let m) = kind { return m }
        return nil
    }

    var elements: [ConfigJSONNode]? {
        if case .array(let e) = kind { return e }
        return nil
    }

    func member(_ key: String) -> Member? {
        members?.first { $0.key == key }
    }
}

/// Parses JSON, and with `allowComments` the JSON with comments that VS Code reads (`//` and
/// `/* */` comments, trailing commas). Nil root for a file that holds only whitespace.
struct ConfigJSONParser {
    let bytes: [UInt8]
    let allowComments: Bool
    private var i = 0
    private var depth = 0

    init(_ bytes: [UInt8], allowComments: Bool) {
        self.bytes = bytes
        self.allowComments = allowComments
    }

    static func parse(_ bytes: [UInt8], allowComments: Bool) throws(ClientConfigError) -> ConfigJSONNode? {
        var parser = ConfigJSONParser(bytes, allowComments: allowComments)
        return try parser.document()
    }

    private mutating func document() throws(ClientConfigError) -> ConfigJSONNode? {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }
        try skipSpace()
        if i == bytes.count { return nil }
        let root = try value()
        try skipSpace()
        if i != bytes.count { throw failure("unexpected text after the JSON value") }
        return root
    }

    private mutating func value() throws(ClientConfigError) -> ConfigJSONNode {
        guard i < bytes.count else { throw failure("unexpected end of file") }
        let start = i
        switch bytes[i] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""):
            let s = try string()
            return ConfigJSONNode(kind: .scalar, value: .string(s), start: start, end: i)
        case UInt8(ascii: "t"): try literal("true"); return ConfigJSONNode(kind: .scalar, value: .bool(true), start: start, end: i)
        case UInt8(ascii: "f"): try literal("false"); return ConfigJSONNode(kind: .scalar, value: .bool(false), start: start, end: i)
        case UInt8(ascii: "n"): try literal("null"); return ConfigJSONNode(kind: .scalar, value: .null, start: start, end: i)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let text = try number()
            return ConfigJSONNode(kind: .scalar, value: .number(text), start: start, end: i)
        default:
            throw failure("unexpected character \(describe(bytes[i]))")
        }
    }

    private mutating func object() throws(ClientConfigError) -> ConfigJSONNode {
        let start = i
        try enter()
        i += 1
        var members: [ConfigJSONNode.Member] = []
        try skipSpace()
        while true {
            guard i < bytes.count else { throw failure("unterminated object") }
            if bytes[i] == UInt8(ascii: "}") { break }
            guard bytes[i] == UInt8(ascii: "\"") else { throw failure("expected a member name in double quotes") }
            let keyStart = i
            let key = try string()
            try skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw failure("expected \":\" after the member name") }
            i += 1
            try skipSpace()
            members.append(.init(key: key, keyStart: keyStart, value: try value()))
            try skipSpace()
            guard i < bytes.count else { throw failure("unterminated object") }
            if bytes[i] == UInt8(ascii: ",") {
                i += 1
                try skipSpace()
                if i < bytes.count, bytes[i] == UInt8(ascii: "}"), !allowComments { throw failure("trailing comma before \"}\"") }
            } else if bytes[i] != UInt8(ascii: "}") {
                throw failure("expected \",\" or \"}\" after a member")
            }
        }
        i += 1
        depth -= 1
        let value = ConfigJSON.object(members.map { ConfigJSONMember($0.key, $0.value.value) })
        return ConfigJSONNode(kind: .object(members), value: value, start: start, end: i)
    }

    private mutating func array() throws(ClientConfigError) -> ConfigJSONNode {
        let start = i
        try enter()
        i += 1
        var elements: [ConfigJSONNode] = []
        try skipSpace()
        while true {
            guard i < bytes.count else { throw failure("unterminated array") }
            if bytes[i] == UInt8(ascii: "]") { break }
            elements.append(try value())
            try skipSpace()
            guard i < bytes.count else { throw failure("unterminated array") }
            if bytes[i] == UInt8(ascii: ",") {
                i += 1
                try skipSpace()
                if i < bytes.count, bytes[i] == UInt8(ascii: "]"), !allowComments { throw failure("trailing comma before \"]\"") }
            } else if bytes[i] != UInt8(ascii: "]") {
                throw failure("expected \",\" or \"]\" after an element")
            }
        }
        i += 1
        depth -= 1
        return ConfigJSONNode(kind: .array(elements), value: .array(elements.map(\.value)), start: start, end: i)
    }

    private mutating func enter() throws(ClientConfigError) {
        depth += 1
        if depth > 256 { throw failure("nested more than 256 levels deep") }
    }

    private mutating func string() throws(ClientConfigError) -> String {
        i += 1
        var scalars = String.UnicodeScalarView()
        var run = i
        func flush(_ to: Int) {
            scalars.append(contentsOf: String(decoding: bytes[run..<to], as: UTF8.self).unicodeScalars)
        }
        while true {
            guard i < bytes.count else { throw failure("unterminated string") }
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                flush(i)
                i += 1
                return String(scalars)
            }
            if b < 0x20 { throw failure("control character in a string") }
            if b != UInt8(ascii: "\\") { i += 1; continue }
            flush(i)
            i += 1
            guard i < bytes.count else { throw failure("unterminated string") }
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""): scalars.append("\"")
            case UInt8(ascii: "\\"): scalars.append("\\")
            case UInt8(ascii: "/"): scalars.append("/")
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"):
                var code = try hex4()
                if (0xD800...0xDBFF).contains(code), i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                    i += 2
                    let low = try hex4()
                    code = (0xDC00...0xDFFF).contains(low) ? 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00) : 0xFFFD
                }
                scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
            default:
                throw failure("invalid escape \"\\\(describe(e))\" in a string")
            }
            run = i
        }
    }

    private mutating func hex4() throws(ClientConfigError) -> UInt32 {
        guard i + 4 <= bytes.count else { throw failure("truncated \\u escape") }
        var v: UInt32 = 0
        for b in bytes[i..<i + 4] {
            let d: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = b - UInt8(ascii: "A") + 10
            default: throw failure("invalid \\u escape")
            }
            v = v << 4 | UInt32(d)
        }
        i += 4
        return v
    }

    private mutating func number() throws(ClientConfigError) -> String {
        let start = i
        let allowed = Set("+-0123456789.eE".utf8)
        while i < bytes.count, allowed.contains(bytes[i]) { i += 1 }
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        guard Double(text) != nil, !text.hasPrefix("+"), !text.hasPrefix("."), !text.hasSuffix(".") else {
            throw failure("invalid number \"\(text)\"")
        }
        return text
    }

    private mutating func literal(_ word: String) throws(ClientConfigError) {
        let w = Array(word.utf8)
        guard bytes.count - i >= w.count, Array(bytes[i..<i + w.count]) == w else { throw failure("unexpected text; expected \(word)") }
        i += w.count
    }

    private mutating func skipSpace() throws(ClientConfigError) {
        while i < bytes.count {
            let b = bytes[i]
            if isSpace(b) { i += 1; continue }
            guard b == UInt8(ascii: "/"), i + 1 < bytes.count else { return }
            let next = bytes[i + 1]
            guard next == UInt8(ascii: "/") || next == UInt8(ascii: "*") else { return }
            guard allowComments else { throw failure("comments are not allowed in this file") }
            if next == UInt8(ascii: "/") {
                while i < bytes.count, bytes[i] != UInt8(ascii: "\n") { i += 1 }
            } else {
                let open = i
                i += 2
                while i + 1 < bytes.count, !(bytes[i] == UInt8(ascii: "*") && bytes[i + 1] == UInt8(ascii: "/")) { i += 1 }
                guard i + 1 < bytes.count else { i = open; throw failure("unterminated /* comment") }
                i += 2
            }
        }
    }

    private func isSpace(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09
    }

    private func describe(_ b: UInt8) -> String {
        b >= 0x21 && b < 0x7F ? String(UnicodeScalar(b)) : "0x" + String(b, radix: 16)
    }

    private func failure(_ message: String) -> ClientConfigError {
        var line = 1
        var column = 1
        var j = 0
        while j < min(i, bytes.count) {
            if bytes[j] == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if bytes[j] & 0xC0 != 0x80 {
                column += 1
            }
            j += 1
        }
        return .syntax(line: line, column: column, message: message)
    }
}
