/// Repository-relative paths as manifests write them.
enum RelativePath {
    struct Problem: Error {
        var message: String
        var hint: String?
    }

    /// `a/./b//c/` → `a/b/c`; the repository root is "". Refuses absolute paths and `..` escapes.
    static func normalize(_ path: String, within base: String = "the repository") -> Result<String, Problem> {
        if path.hasPrefix("/") {
            return .failure(Problem(message: "is an absolute path; it must be relative to \(base)",
                                    hint: "write it relative to \(base)"))
        }
        if path.contains("\\") {
            return .failure(Problem(message: "contains \"\\\"; paths use \"/\"", hint: nil))
        }
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..":
                if parts.isEmpty {
                    return .failure(Problem(message: "leaves \(base) through \"..\"",
                                            hint: "it must stay inside \(base)"))
                }
                parts.removeLast()
            default: parts.append(part)
            }
        }
        return .success(parts.joined(separator: "/"))
    }
}

/// Docker image references: `[host[:port]/]path[:tag][@sha256:<64 hex>]`.
enum ImageReference {
    /// Why `ref` is not a valid reference, or nil.
    static func problem(_ ref: String) -> String? {
        var rest = Substring(ref)
        if let at = rest.firstIndex(of: "@") {
            let digest = rest[rest.index(after: at)...]
            guard digest.hasPrefix("sha256:"), TokenHash.isHex64(digest.dropFirst(7)) else {
                return "the digest must be sha256: followed by 64 lowercase hex digits"
            }
            rest = rest[..<at]
        }
        var components = rest.split(separator: "/", omittingEmptySubsequences: false)
        guard let last = components.last, !last.isEmpty else { return "the name is empty" }
        if let colon = last.firstIndex(of: ":") {
            let tag = last[last.index(after: colon)...]
            guard !tag.isEmpty, tag.count <= 128,
                  tag.utf8.allSatisfy({ isAlnum($0) || "_.-".utf8.contains($0) }),
                  tag.first != ".", tag.first != "-" else {
                return "the tag \"\(tag)\" must be 1 to 128 letters, digits, \"_\", \".\" and \"-\""
            }
            components[components.count - 1] = last[..<colon]
        }
        if components.count > 1, let host = components.first,
           host.contains(".") || host.contains(":") || host == "localhost" {
            guard isRegistryHost(host) else { return "the registry host \"\(host)\" is not valid" }
            components.removeFirst()
        }
        for component in components where !isPathComponent(Array(component.utf8)) {
            return "each name component must be lowercase letters and digits, separated by \".\", \"_\", \"__\" or dashes"
        }
        return nil
    }

    /// `host[:port]`: dot-separated labels of letters, digits and inner dashes.
    private static func isRegistryHost(_ host: Substring) -> Bool {
        let parts = host.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return false }
        if parts.count == 2, parts[1].isEmpty || !parts[1].utf8.allSatisfy(isDigit) { return false }
        return parts[0].split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            let u = Array(label.utf8)
            return !u.isEmpty && u.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "-") } && isAlnum(u.first!) && isAlnum(u.last!)
        }
    }

    /// Docker's path component: `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`.
    private static func isPathComponent(_ u: [UInt8]) -> Bool {
        guard let first = u.first, let last = u.last, isLowerAlnum(first), isLowerAlnum(last) else { return false }
        var i = 0
        while i < u.count {
            if isLowerAlnum(u[i]) { i += 1; continue }
            var j = i
            while j < u.count, !isLowerAlnum(u[j]) { j += 1 }
            let separator = u[i..<j]
            let ok = separator.elementsEqual([UInt8(ascii: ".")]) || separator.elementsEqual([UInt8(ascii: "_")])
                || separator.elementsEqual([UInt8(ascii: "_"), UInt8(ascii: "_")])
                || separator.allSatisfy { $0 == UInt8(ascii: "-") }
            guard ok else { return false }
            i = j
        }
        return true
    }
}

enum TokenHash {
    static func isValid(_ s: String) -> Bool {
        s.hasPrefix("sha256:") && isHex64(s.dropFirst(7))
    }

    static func isHex64(_ s: Substring) -> Bool {
        s.utf8.count == 64 && s.utf8.allSatisfy { isDigit($0) || ($0 >= 97 && $0 <= 102) }
    }

    static func hint(for s: String) -> String {
        let bare = s.hasPrefix("sha256:") ? Substring(s.dropFirst(7)) : Substring(s)
        if isHex64(Substring(bare.lowercased())) {
            return s.hasPrefix("sha256:") ? "use lowercase hex digits" : "write \"sha256:\(bare.lowercased())\""
        }
        return "store the hash, never the token: printf %s \"$TOKEN\" | sha256sum"
    }
}

/// Memory quantities: integer bytes, or a number with a binary (Ki, Mi, Gi, Ti) or decimal
/// (k, M, G, T) suffix, as Kubernetes writes them.
enum Quantity {
    static let minimumMemory = 6 << 20

    static func bytes(_ node: YAMLNode, path: String, sink: DiagnosticSink,
                      minimum: (bytes: Int, text: String) = (minimumMemory, "6Mi (Docker's minimum)")) -> Int? {
        guard let scalar = node.scalar else {
            sink.error(node.mark, "\(path) must be a quantity such as 256Mi, not \(node.shapeDescription)")
            return nil
        }
        let bytes: Int?
        switch scalar.resolved {
        case .int(let i): bytes = i
        case .string(let s): bytes = parse(s)
        default: bytes = nil
        }
        guard let bytes else {
            sink.error(node.mark, "\(path) \"\(scalar.text)\" is not a quantity",
                       hint: "write a number of bytes or a number with Ki, Mi, Gi, Ti, k, M, G or T, for example 256Mi")
            return nil
        }
        guard bytes >= minimum.bytes else {
            sink.error(node.mark, "\(path) must be at least \(minimum.text), not \(scalar.text)")
            return nil
        }
        return bytes
    }

    static func parse(_ s: String) -> Int? {
        let suffixes: [(String, Double)] = [
            ("Ki", 1024), ("Mi", 1_048_576), ("Gi", 1_073_741_824), ("Ti", 1_099_511_627_776),
            ("k", 1000), ("M", 1e6), ("G", 1e9), ("T", 1e12),
        ]
        for (suffix, factor) in suffixes where s.hasSuffix(suffix) {
            let number = s.dropLast(suffix.count)
            let parts = number.split(separator: ".", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }),
                  let value = Double(number) else { return nil }
            let bytes = value * factor
            return bytes < Double(Int.max) ? Int(bytes) : nil
        }
        return nil
    }
}


/// A Server's per-call timeout: `500ms`, `30s`, `2m`; between 100 ms and an hour.
public enum CallTimeout {
    public static let defaultMilliseconds = 60_000

    public static func milliseconds(_ text: String) -> Int? {
        let units: [(suffix: String, factor: Int)] = [("ms", 1), ("s", 1000), ("m", 60_000)]
        for unit in units where text.hasSuffix(unit.suffix) {
            let digits = text.dropLast(unit.suffix.count)
            guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber),
                  digits.count <= 7, let n = Int(digits) else { return nil }
            let ms = n * unit.factor
            return (100...3_600_000).contains(ms) ? ms : nil
        }
        return nil
    }
}
