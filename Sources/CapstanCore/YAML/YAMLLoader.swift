import CYAML

/// Bounds that keep a hostile file from exhausting memory or time.
public struct YAMLLimits: Sendable {
    public var maxFileBytes = 4 << 20
    public var maxDepth = 64
    /// Nodes in one document, counting every node an alias expands to.
    public var maxNodes = 100_000
    public var maxAliases = 1_000

    public init() {}
}

/// Parses a YAML file into documents with positions, or the first problem found.
/// Duplicate keys, alias bombs, deep nesting and non-UTF-8 bytes are rejected here, before
/// any manifest decoding sees the data.
public enum YAMLLoader {
    public struct Failure: Error, Sendable {
        public var mark: Mark
        public var message: String
        public var hint: String?
    }

    public static func load(_ bytes: [UInt8], limits: YAMLLimits = YAMLLimits()) -> Result<[YAMLDocument], Failure> {
        if bytes.count > limits.maxFileBytes {
            return .failure(Failure(
                mark: Mark(line: 1, column: 1),
                message: "file is \(bytes.count) bytes, larger than the limit of \(limits.maxFileBytes) bytes",
                hint: "split it into several files"))
        }
        if let offset = firstInvalidUTF8Offset(bytes) {
            let mark = markOfByte(offset, in: bytes)
            return .failure(Failure(
                mark: mark,
                message: "file is not valid UTF-8 (invalid byte 0x\(hex(bytes[offset])) at byte offset \(offset))",
                hint: "save the file as UTF-8"))
        }
        var parser = EventParser(bytes: bytes, limits: limits)
        return parser.parseStream()
    }

    private static func hex(_ b: UInt8) -> String {
        let s = String(b, radix: 16, uppercase: true)
        return s.count == 1 ? "0" + s : s
    }
}

/// Walks libyaml's event stream and builds nodes. One instance per file.
private struct EventParser {
    let bytes: [UInt8]
    let limits: YAMLLimits
    var nodeCount = 0
    var aliasCount = 0
    /// Each anchor's subtree, its node count and its height (levels, 1 for a scalar).
    var anchors: [String: (node: YAMLNode, size: Int, height: Int)] = [:]
    /// The deepest level reached so far in the subtree being built, aliases expanded.
    var deepest = 0

    init(bytes: [UInt8], limits: YAMLLimits) {
        self.bytes = bytes
        self.limits = limits
    }

    mutating func parseStream() -> Result<[YAMLDocument], YAMLLoader.Failure> {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            return .failure(.init(mark: Mark(line: 1, column: 1), message: "out of memory initialising the YAML parser"))
        }
        defer { yaml_parser_delete(&parser) }
        return bytes.withUnsafeBufferPointer { buffer in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            do {
                var documents: [YAMLDocument] = []
                var events = EventSource(parser: &parser, bytes: bytes)
                while true {
                    let event = try events.next()
                    switch event.kind {
                    case .streamStart:
                        continue
                    case .streamEnd:
                        return .success(documents)
                    case .documentStart:
                        anchors = [:]
                        nodeCount = 0
                        aliasCount = 0
                        let first = try events.next()
                        if first.kind == .documentEnd { continue }
                        let root = try node(from: first, events: &events, depth: 1)
                        let end = try events.next()
                        guard end.kind == .documentEnd else {
                            throw YAMLLoader.Failure(mark: end.mark, message: "expected the end of the document")
                        }
                        // "---" followed by nothing (or only comments) is an empty document, not a manifest.
                        if root.scalar?.resolved != .null {
                            documents.append(YAMLDocument(root: root, mark: event.mark))
                        }
                    default:
                        throw YAMLLoader.Failure(mark: event.mark, message: "unexpected YAML event")
                    }
                }
            } catch let failure as YAMLLoader.Failure {
                return .failure(failure)
            } catch {
                return .failure(.init(mark: Mark(line: 1, column: 1), message: "\(error)"))
            }
        }
    }

    private mutating func node(from event: Event, events: inout EventSource, depth: Int) throws -> YAMLNode {
        if depth > limits.maxDepth {
            throw YAMLLoader.Failure(mark: event.mark, message: "nesting is deeper than \(limits.maxDepth) levels")
        }
        let startCount = nodeCount
        let outerDeepest = deepest
        deepest = depth
        defer { deepest = max(outerDeepest, deepest) }
        try count(1, at: event.mark)
        let node: YAMLNode
        switch event.kind {
        case .scalar(let scalar):
            node = YAMLNode(.scalar(scalar), at: event.mark)
        case .alias(let name):
            aliasCount += 1
            if aliasCount > limits.maxAliases {
                throw YAMLLoader.Failure(mark: event.mark, message: "more than \(limits.maxAliases) aliases in one document")
            }
            guard let anchored = anchors[name] else {
                throw YAMLLoader.Failure(mark: event.mark, message: "alias *\(name) refers to no anchor defined before it")
            }
            // An alias stands for a copy of its anchor's whole subtree; count it as such so that
            // nested aliases ("billion laughs") are refused long before they could be expanded.
            try count(anchored.size, at: event.mark)
            // Likewise its depth: anchors nested through aliases would otherwise build a tree
            // thousands of levels deep out of anchors that each stay within the limit.
            deepest = depth + anchored.height - 1
            if deepest > limits.maxDepth {
                throw YAMLLoader.Failure(mark: event.mark, message: "nesting is deeper than \(limits.maxDepth) levels once aliases are expanded")
            }
            return YAMLNode(anchored.node.value, at: event.mark)
        case .sequenceStart:
            var items: [YAMLNode] = []
            while true {
                let next = try events.next()
                if next.kind == .sequenceEnd { break }
                items.append(try self.node(from: next, events: &events, depth: depth + 1))
            }
            node = YAMLNode(.sequence(items), at: event.mark)
        case .mappingStart:
            var pairs: [YAMLPair] = []
            var seen: [String: Mark] = [:]
            while true {
                let next = try events.next()
                if next.kind == .mappingEnd { break }
                let key = try self.node(from: next, events: &events, depth: depth + 1)
                let value = try self.node(from: try events.next(), events: &events, depth: depth + 1)
                guard let keyScalar = key.scalar else {
                    throw YAMLLoader.Failure(mark: key.mark, message: "mapping keys must be scalars, not \(key.shapeDescription)")
                }
                if let first = seen[keyScalar.text] {
                    throw YAMLLoader.Failure(
                        mark: key.mark,
                        message: "duplicate key \"\(keyScalar.text)\" (first defined at line \(first.line), column \(first.column))",
                        hint: "remove one of the two")
                }
                seen[keyScalar.text] = key.mark
                pairs.append(YAMLPair(key: key, value: value))
            }
            node = YAMLNode(.mapping(pairs), at: event.mark)
        default:
            throw YAMLLoader.Failure(mark: event.mark, message: "unexpected YAML event")
        }
        if let anchor = event.anchor {
            anchors[anchor] = (node, nodeCount - startCount, deepest - depth + 1)
        }
        return node
    }

    private mutating func count(_ n: Int, at mark: Mark) throws {
        nodeCount += n
        if nodeCount > limits.maxNodes {
            throw YAMLLoader.Failure(
                mark: mark,
                message: "document has more than \(limits.maxNodes) nodes once aliases are expanded",
                hint: "aliases that multiply (a \"billion laughs\" document) are refused")
        }
    }
}

/// One libyaml event, copied out of C memory.
private struct Event {
    enum Kind: Equatable {
        case streamStart, streamEnd, documentStart, documentEnd
        case sequenceStart, sequenceEnd, mappingStart, mappingEnd
        case scalar(YAMLScalar)
        case alias(String)
    }

    var kind: Kind
    var mark: Mark
    var anchor: String?
}

/// Pulls events from libyaml and turns its parse errors into failures with positions.
private struct EventSource {
    let parser: UnsafeMutablePointer<yaml_parser_t>
    let bytes: [UInt8]

    init(parser: UnsafeMutablePointer<yaml_parser_t>, bytes: [UInt8]) {
        self.parser = parser
        self.bytes = bytes
    }

    func next() throws -> Event {
        var event = yaml_event_t()
        guard yaml_parser_parse(parser, &event) == 1 else {
            throw syntaxFailure()
        }
        defer { yaml_event_delete(&event) }
        let mark = Mark(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
        switch event.type {
        case YAML_STREAM_START_EVENT: return Event(kind: .streamStart, mark: mark)
        case YAML_STREAM_END_EVENT: return Event(kind: .streamEnd, mark: mark)
        case YAML_DOCUMENT_START_EVENT: return Event(kind: .documentStart, mark: mark)
        case YAML_DOCUMENT_END_EVENT: return Event(kind: .documentEnd, mark: mark)
        case YAML_SEQUENCE_START_EVENT:
            return Event(kind: .sequenceStart, mark: mark, anchor: string(event.data.sequence_start.anchor))
        case YAML_SEQUENCE_END_EVENT: return Event(kind: .sequenceEnd, mark: mark)
        case YAML_MAPPING_START_EVENT:
            return Event(kind: .mappingStart, mark: mark, anchor: string(event.data.mapping_start.anchor))
        case YAML_MAPPING_END_EVENT: return Event(kind: .mappingEnd, mark: mark)
        case YAML_ALIAS_EVENT:
            return Event(kind: .alias(string(event.data.alias.anchor) ?? ""), mark: mark)
        case YAML_SCALAR_EVENT:
            let s = event.data.scalar
            let text = String(decoding: UnsafeBufferPointer(start: s.value, count: Int(s.length)), as: UTF8.self)
            let style: YAMLScalar.Style
            switch s.style {
            case YAML_PLAIN_SCALAR_STYLE: style = .plain
            case YAML_LITERAL_SCALAR_STYLE, YAML_FOLDED_SCALAR_STYLE: style = .block
            default: style = .quoted
            }
            // A lone "!" is the non-specific tag: it only says "not plain", i.e. a string.
            var tag = string(s.tag)
            if tag == "!" { tag = "tag:yaml.org,2002:str" }
            return Event(kind: .scalar(YAMLScalar(text: text, style: style, tag: tag)), mark: mark,
                         anchor: string(s.anchor))
        default:
            throw YAMLLoader.Failure(mark: mark, message: "unexpected YAML event")
        }
    }

    private func string(_ p: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let p else { return nil }
        return String(cString: UnsafeRawPointer(p).assumingMemoryBound(to: CChar.self))
    }

    private func syntaxFailure() -> YAMLLoader.Failure {
        let p = parser.pointee
        var mark = Mark(line: Int(p.problem_mark.line) + 1, column: Int(p.problem_mark.column) + 1)
        let problem = p.problem.map { String(cString: $0) } ?? "invalid YAML"
        var message = problem
        if let context = p.context.map({ String(cString: $0) }) {
            message += " " + context
            // An unclosed quote or bracket is found only at the end of the file; the place to fix
            // is where it was opened, which libyaml keeps as the context mark.
            if context.hasPrefix("while scanning a quoted") || context.hasPrefix("while parsing a flow") {
                mark = Mark(line: Int(p.context_mark.line) + 1, column: Int(p.context_mark.column) + 1)
            }
        }
        if character(at: mark) == "\t" {
            return .init(mark: mark, message: "tab character where YAML allows only spaces",
                         hint: "indent with spaces; YAML does not allow tabs for indentation")
        }
        return .init(mark: mark, message: "invalid YAML: \(message)", hint: Self.hint(for: problem))
    }

    /// The character at a libyaml mark (its columns count characters, not bytes; its lines end
    /// at any of its line breaks).
    private func character(at mark: Mark) -> Character? {
        var line = 1
        var column = 1
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if line == mark.line && column == mark.column { return Character(Unicode.Scalar(b)) }
            if line > mark.line { return nil }
            let breakLength = lineBreakLength(bytes, at: i)
            if breakLength > 0 {
                line += 1
                column = 1
                i += breakLength
            } else {
                column += 1
                i += b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4
            }
        }
        return nil
    }

    private static func hint(for problem: String) -> String? {
        switch problem {
        case "mapping values are not allowed in this context":
            return "a value that contains \": \" must be quoted"
        case "did not find expected key", "did not find expected '-' indicator":
            return "check the indentation of this line against the lines above"
        case "found undefined tag handle":
            return "manifests need no tags; remove it"
        default:
            return nil
        }
    }
}
