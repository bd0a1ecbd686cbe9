/// Reads the fields of one YAML mapping against a schema: reports unknown fields (with the
/// nearest known name), missing required fields and wrongly typed values, and keeps going so
/// that every problem of a file is reported at once.
struct FieldReader {
    let node: YAMLNode
    /// Dotted path of this mapping in the document (`spec.resources`), for messages.
    let path: String
    let sink: DiagnosticSink
    private let pairs: [YAMLPair]

    /// Returns nil (after reporting) when `node` is not a mapping.
    init?(_ node: YAMLNode, path: String, sink: DiagnosticSink) {
        guard case .mapping(let pairs) = node.value else {
            sink.error(node.mark, "\(path.isEmpty ? "the document" : path) must be a mapping, not \(node.shapeDescription)")
            return nil
        }
        self.node = node
        self.path = path
        self.sink = sink
        self.pairs = pairs
    }

    /// Reports every key not in `known`. Call once per mapping, with all the fields it may hold.
    func rejectUnknown(_ known: [String]) {
        for pair in pairs {
            let key = pair.key.scalar?.text ?? ""
            guard !known.contains(key) else { continue }
            let hint: String
            if let near = nearest(to: key, in: known) {
                hint = "did you mean \"\(near)\"?"
            } else {
                hint = "allowed fields here: " + known.joined(separator: ", ")
            }
            sink.error(pair.key.mark, "unknown field \"\(key)\" \(path.isEmpty ? "at" : "in") \(Self.describe(path))", hint: hint)
        }
    }

    func child(_ key: String) -> YAMLNode? {
        pairs.first { $0.key.scalar?.text == key }?.value
    }

    func keyMark(_ key: String) -> Mark? {
        pairs.first { $0.key.scalar?.text == key }?.key.mark
    }

    func fieldPath(_ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    /// A present, non-null value; reports a missing required field at the mapping.
    func value(_ key: String, required: Bool = false) -> YAMLNode? {
        guard let node = child(key) else {
            if required { missing(key) }
            return nil
        }
        // An empty value is a mistake, not a way to ask for the default: say so.
        if case .scalar(let s) = node.value, s.resolved == .null {
            sink.error(node.mark, "\(fieldPath(key)) is empty", hint: required ? "give it a value" : "give it a value, or remove the field")
            return nil
        }
        return node
    }

    func missing(_ key: String) {
        sink.error(node.mark, "missing required field \"\(key)\" \(path.isEmpty ? "at" : "in") \(Self.describe(path))")
    }

    // MARK: typed values

    func string(_ key: String, required: Bool = false) -> Located<String>? {
        guard let node = value(key, required: required) else { return nil }
        return Self.string(node, path: fieldPath(key), sink: sink)
    }

    static func string(_ node: YAMLNode, path: String, sink: DiagnosticSink) -> Located<String>? {
        guard let scalar = node.scalar else {
            sink.error(node.mark, "\(path) must be a string, not \(node.shapeDescription)")
            return nil
        }
        switch scalar.resolved {
        case .string(let s):
            return Located(s, at: node.mark)
        case .unsupportedTag(let tag):
            sink.error(node.mark, "\(path) has the unsupported tag \(tag)", hint: "remove the tag")
        case let other:
            sink.error(node.mark, "\(path) must be a string, not \(other.typeDescription)",
                       hint: "quote it: \"\(scalar.text)\"")
        }
        return nil
    }

    /// A string, number or boolean, taken as its literal text (env values, build args, labels).
    static func text(_ node: YAMLNode, path: String, sink: DiagnosticSink) -> Located<String>? {
        guard let scalar = node.scalar else {
            sink.error(node.mark, "\(path) must be a string, number or boolean, not \(node.shapeDescription)")
            return nil
        }
        switch scalar.resolved {
        case .string, .bool, .int, .float:
            return Located(scalar.text, at: node.mark)
        case .null:
            sink.error(node.mark, "\(path) is empty", hint: "write \"\" for an empty string")
        case .unsupportedTag(let tag):
            sink.error(node.mark, "\(path) has the unsupported tag \(tag)", hint: "remove the tag")
        }
        return nil
    }

    func bool(_ key: String) -> Located<Bool>? {
        guard let node = value(key) else { return nil }
        if case .scalar(let s) = node.value, case .bool(let b) = s.resolved {
            return Located(b, at: node.mark)
        }
        var hint = "write true or false"
        if let text = node.scalar?.text.lowercased() {
            if ["yes", "on", "y"].contains(text) { hint = "write true" }
            if ["no", "off", "n"].contains(text) { hint = "write false" }
        }
        sink.error(node.mark, "\(fieldPath(key)) must be a boolean, not \(node.shapeDescription)", hint: hint)
        return nil
    }

    func int(_ key: String, in range: ClosedRange<Int>) -> Located<Int>? {
        guard let node = value(key) else { return nil }
        let bounds = range.upperBound == Int.max ? "at least \(range.lowerBound)" : "between \(range.lowerBound) and \(range.upperBound)"
        guard case .scalar(let s) = node.value, case .int(let i) = s.resolved else {
            sink.error(node.mark, "\(fieldPath(key)) must be an integer \(bounds), not \(node.shapeDescription)")
            return nil
        }
        guard range.contains(i) else {
            sink.error(node.mark, "\(fieldPath(key)) must be \(bounds), not \(i)")
            return nil
        }
        return Located(i, at: node.mark)
    }

    func number(_ key: String) -> Located<Double>? {
        guard let node = value(key) else { return nil }
        if case .scalar(let s) = node.value {
            switch s.resolved {
            case .int(let i): return Located(Double(i), at: node.mark)
            case .float(let d) where d.isFinite: return Located(d, at: node.mark)
            default: break
            }
        }
        sink.error(node.mark, "\(fieldPath(key)) must be a number, not \(node.shapeDescription)")
        return nil
    }

    /// A list, each item read by `item`; reports a non-list value.
    func list<T>(_ key: String, required: Bool = false,
                 item: (YAMLNode, String) -> T?) -> Located<[T]>? {
        guard let node = value(key, required: required) else { return nil }
        guard case .sequence(let items) = node.value else {
            sink.error(node.mark, "\(fieldPath(key)) must be a list, not \(node.shapeDescription)")
            return nil
        }
        var result: [T] = []
        for (i, itemNode) in items.enumerated() {
            if let v = item(itemNode, "\(fieldPath(key))[\(i)]") { result.append(v) }
        }
        return Located(result, at: node.mark)
    }

    /// A mapping of names to scalar text, in file order, each name checked by `keyRule`.
    func textMap(_ key: String, keyRule: NameRule) -> [TextEntry] {
        guard let node = value(key) else { return [] }
        guard let reader = FieldReader(node, path: fieldPath(key), sink: sink) else { return [] }
        var result: [TextEntry] = []
        for pair in reader.pairs {
            guard let name = FieldReader.string(pair.key, path: "a key of \(fieldPath(key))", sink: sink),
                  keyRule.check(name, what: "\(fieldPath(key)) key", sink: sink) else { continue }
            if let v = FieldReader.text(pair.value, path: "\(fieldPath(key)).\(name.value)", sink: sink) {
                result.append(TextEntry(key: name, value: v))
            }
        }
        return result
    }

    private static func describe(_ path: String) -> String {
        path.isEmpty ? "the top level" : path
    }
}

/// Levenshtein-nearest candidate within a small distance, for "did you mean" hints.
func nearest(to word: String, in candidates: [String]) -> String? {
    let limit = max(2, word.count / 3)
    var best: (String, Int)?
    for c in candidates {
        let d = editDistance(word.lowercased(), c.lowercased())
        if d <= limit, d < (best?.1 ?? .max) { best = (c, d) }
    }
    return best?.0
}

func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
