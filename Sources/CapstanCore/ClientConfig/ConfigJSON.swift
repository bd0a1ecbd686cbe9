/// A JSON value as an app's configuration file holds it: object members keep their order, numbers
/// keep their text, so what Capstan writes back is what the user wrote.
public indirect enum ConfigJSON: Sendable, Hashable {
    case object([ConfigJSONMember])
    case array([ConfigJSON])
    case string(String)
    /// The number as written (`1`, `1.0`, `1e3` stay distinct texts).
    case number(String)
    case bool(Bool)
    case null

    public subscript(key: String) -> ConfigJSON? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// Equal as data: object members compare by key regardless of their order, because an app
    /// that rewrites its file may reorder them and the entry is still the one Capstan wrote.
    public func sameValue(as other: ConfigJSON) -> Bool {
        switch (self, other) {
        case (.object(let a), .object(let b)):
            guard a.count == b.count else { return false }
            return a.allSatisfy { m in b.first { $0.key == m.key }.map { $0.value.sameValue(as: m.value) } ?? false }
        case (.array(let a), .array(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.sameValue(as: $1) }
        default:
            return self == other
        }
    }

    /// Pretty-printed the way the apps write their own files (`JSON.stringify(value, null, 2)`):
    /// one member or element per line. `indent` is the indentation of the line the value starts
    /// on; nested lines add `unit`.
    public func rendered(indent: String = "", unit: String = "  ") -> String {
        switch self {
        case .object(let members):
            if members.isEmpty { return "{}" }
            let inner = indent + unit
            let lines = members.map { inner + ConfigJSON.quoted($0.key) + ": " + $0.value.rendered(indent: inner, unit: unit) }
            return "{\n" + lines.joined(separator: ",\n") + "\n" + indent + "}"
        case .array(let elements):
            if elements.isEmpty { return "[]" }
            let inner = indent + unit
            let lines = elements.map { inner + $0.rendered(indent: inner, unit: unit) }
            return "[\n" + lines.joined(separator: ",\n") + "\n" + indent + "]"
        case .string(let s): return ConfigJSON.quoted(s)
        case .number(let n): return n
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        }
    }

    /// A JSON string literal; non-ASCII text stays as it is, as the apps write it. The same
    /// escapes are valid in a TOML basic string and a YAML double-quoted scalar, so all three
    /// formats quote through here.
    public static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                // TOML and YAML also want DEL escaped; JSON allows it either way.
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

public struct ConfigJSONMember: Sendable, Hashable {
    public var key: String
    public var value: ConfigJSON

    public init(_ key: String, _ value: ConfigJSON) {
        self.key = key
        self.value = value
    }
}
