/// A position in a source file, 1-based like editors and compilers print it.
public struct Mark: Sendable, Hashable, Comparable {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static func < (a: Mark, b: Mark) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }
}

/// A value together with where it was written, so later checks can point at it.
public struct Located<Value: Sendable>: Sendable {
    public var value: Value
    public var mark: Mark

    public init(_ value: Value, at mark: Mark) {
        self.value = value
        self.mark = mark
    }
}

extension Located: Equatable where Value: Equatable {}
extension Located: Hashable where Value: Hashable {}

/// One problem found in a manifest repository, printed as `file:line:column: error: message`.
public struct Diagnostic: Sendable, Hashable, Comparable {
    public enum Severity: String, Sendable, Hashable {
        case error
        case warning
    }

    /// Path relative to the repository root.
    public var file: String
    public var mark: Mark
    public var severity: Severity
    public var message: String
    public var hint: String?

    public init(file: String, mark: Mark, severity: Severity = .error, message: String, hint: String? = nil) {
        self.file = file
        self.mark = mark
        self.severity = severity
        self.message = message
        self.hint = hint
    }

    public static func < (a: Diagnostic, b: Diagnostic) -> Bool {
        (a.file, a.mark.line, a.mark.column, a.message) < (b.file, b.mark.line, b.mark.column, b.message)
    }
}

/// Collects the diagnostics of one file while it is decoded.
final class DiagnosticSink {
    let file: String
    private(set) var diagnostics: [Diagnostic] = []

    init(file: String) {
        self.file = file
    }

    func error(_ mark: Mark, _ message: String, hint: String? = nil) {
        diagnostics.append(Diagnostic(file: file, mark: mark, message: message, hint: hint))
    }

    func append(contentsOf other: [Diagnostic]) {
        diagnostics.append(contentsOf: other)
    }
}
