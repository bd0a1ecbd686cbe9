/// A YAML node as written, with its position. Scalars keep their text and style; typing
/// happens later, against the schema of the field they fill (YAML 1.2 core rules).
public struct YAMLNode: Sendable {
    public indirect enum Value: Sendable {
        case scalar(YAMLScalar)
        case mapping([YAMLPair])
        case sequence([YAMLNode])
    }

    public var value: Value
    public var mark: Mark

    public init(_ value: Value, at mark: Mark) {
        self.value = value
        self.mark = mark
    }

    public var scalar: YAMLScalar? {
        if case .scalar(let s) = value { return s }
        return nil
    }

    /// A short name of the node's shape for error messages.
    public var shapeDescription: String {
        switch value {
        case .scalar(let s): return s.resolved.typeDescription
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        }
    }
}

public struct YAMLPair: Sendable {
    public var key: YAMLNode
    public var value: YAMLNode
}

public struct YAMLScalar: Sendable, Hashable {
    public enum Style: Sendable, Hashable {
        case plain
        case quoted
        case block
    }

    public var text: String
    public var style: Style
    /// The explicit tag, expanded (`tag:yaml.org,2002:str`), or nil.
    public var tag: String?

    public init(text: String, style: Style, tag: String? = nil) {
        self.text = text
        self.style = style
        self.tag = tag
    }
}

/// One `---` document of a file.
public struct YAMLDocument: Sendable {
    public var root: YAMLNode
    public var mark: Mark
}
