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
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
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
        var digits = Substring(s)
        if digits.first == "-" || digits.first == "+" { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit) else { return nil }
        return Int(s.hasPrefix("+") ? String(s.dropFirst()) : s)
    }

    static func resolveFloat(_ s: String) -> Double? {
        var body = Substring(s)
        var sign = 1.0
        if body.first == "-" || body.first == "+" {
            if body.first == "-" { sign = -1 }
            body = body.dropFirst()
        }
        switch body {
        case ".inf", ".Inf", ".INF": return sign * .infinity
        case ".nan", ".NaN", ".NAN": return s == body ? .nan : nil
        default: break
        }
        // [0-9]+(\.[0-9]*)? | \.[0-9]+ , then an optional exponent.
        var mantissa = body
        var exponent: Substring = ""
        if let e = body.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = body[..<e]
            exponent = body[body.index(after: e)...]
            if exponent.first == "-" || exponent.first == "+" { exponent = exponent.dropFirst() }
            guard !exponent.isEmpty, exponent.allSatisfy(\.isASCIIDigit) else { return nil }
        }
        let parts = mantissa.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0]
        let fraction = parts.count > 1 ? parts[1] : ""
        guard whole.allSatisfy(\.isASCIIDigit), fraction.allSatisfy(\.isASCIIDigit) else { return nil }
        guard !whole.isEmpty || !fraction.isEmpty else { return nil }
        guard !whole.isEmpty || parts.count > 1 else { return nil }
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
