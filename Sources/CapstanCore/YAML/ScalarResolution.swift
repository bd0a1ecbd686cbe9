/// A scalar typed by the YAML 1.2 core schema. `no`, `yes`, `on` and `off` stay strings:
/// YAML 1.1 guessing is exactly what the manifest format promises not to do.
public enum ResolvedScalar: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    /// A tag outside the core schema (`!foo`), which manifests never need.
    case unsupportedTag(String)

    var typeDescription: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return "the boolean \(b)"
        case .int(let i): return "the integer \(i)"
        case .float(let d): return "the number \(formatNumber(d))"
        case .string(let s): return "the string \"\(s)\""
        case .unsupportedTag(let t): return "a value tagged \(t)"
        }
    }
}

private let coreTag = "tag:yaml.org,2002:"

extension YAMLScalar {
    public var resolved: ResolvedScalar {
        if let tag {
            guard tag.hasPrefix(coreTag) else { return .unsupportedTag(tag) }
            switch tag.dropFirst(coreTag.count) {
            case "str": return .string(text)
            case "null": return .null
            case "bool": return Self.resolveBool(text).map(ResolvedScalar.bool) ?? .unsupportedTag(tag)
            case "int": return Self.resolveInt(text).map(ResolvedScalar.int) ?? .unsupportedTag(tag)
            case "float": return Self.resolveFloat(text).map(ResolvedScalar.float) ?? .unsupportedTag(tag)
            default: return .unsupportedTag(tag)
            }
        }
        guard style == .plain else { return .string(text) }
        // Most plain scalars are names; only these first bytes can begin a null, bool or number.
        guard let first = text.utf8.first else { return .null }
        switch first {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "~"), UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "t"), UInt8(ascii: "T"),
             UInt8(ascii: "f"), UInt8(ascii: "F"):
            break
        default:
            return .string(text)
        }
        switch text {
        case "~", "null", "Null", "NULL": return .null
        default: break
        }
        if let b = Self.resolveBool(text) { return .bool(b) }
        if let i = Self.resolveInt(text) { return .int(i) }
        if let d = Self.resolveFloat(text) { return .float(d) }
        return .string(text)
    }

    static func resolveBool(_ s: String) -> Bool? {
        switch s {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: return nil
        }
    }

    static func resolveInt(_ s: String) -> Int? {
        if s.hasPrefix("0o") { return Int(s.dropFirst(2), radix: 8) }
        if s.hasPrefix("0x") { return Int(s.dropFirst(2), radix: 16) }
        var digits = s.utf8[...]
        if digits.first == UInt8(ascii: "-") || digits.first == UInt8(ascii: "+") { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.allSatisfy(isDigit) else { return nil }
        return Int(s.hasPrefix("+") ? String(s.dropFirst()) : s)
    }

    /// The YAML 1.2 core float forms: `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, `.inf`, `.nan`.
    static func resolveFloat(_ s: String) -> Double? {
        var body = s.utf8[...]
        var sign = 1.0
        if body.first == UInt8(ascii: "-") || body.first == UInt8(ascii: "+") {
            if body.first == UInt8(ascii: "-") { sign = -1 }
            body = body.dropFirst()
        }
        switch String(Substring(body)) {
        case ".inf", ".Inf", ".INF": return sign * .infinity
        case ".nan", ".NaN", ".NAN": return body.count == s.utf8.count ? .nan : nil
        default: break
        }
        var i = body.startIndex
        func digits() -> Int {
            var n = 0
            while i < body.endIndex, isDigit(body[i]) { i = body.index(after: i); n += 1 }
            return n
        }
        let whole = digits()
        var fraction = 0
        var hasPoint = false
        if i < body.endIndex, body[i] == UInt8(ascii: ".") {
            hasPoint = true
            i = body.index(after: i)
            fraction = digits()
        }
        guard whole > 0 || fraction > 0, whole > 0 || hasPoint else { return nil }
        if i < body.endIndex, body[i] == UInt8(ascii: "e") || body[i] == UInt8(ascii: "E") {
            i = body.index(after: i)
            if i < body.endIndex, body[i] == UInt8(ascii: "-") || body[i] == UInt8(ascii: "+") { i = body.index(after: i) }
            guard digits() > 0 else { return nil }
        }
        guard i == body.endIndex else { return nil }
        return Double(s.hasPrefix("+") ? String(s.dropFirst()) : s)
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

func formatNumber(_ d: Double) -> String {
    if d == d.rounded(), abs(d) < 1e15 { return String(Int(d)) }
    return String(d)
}
