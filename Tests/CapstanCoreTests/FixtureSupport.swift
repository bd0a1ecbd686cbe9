import CapstanCore
import Foundation

/// Paths of the repository's own fixtures and examples, found from this source file.
enum Fixtures {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func directories(in relative: String) -> [String] {
        let base = repositoryRoot.appendingPathComponent(relative)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { base.appendingPathComponent($0).path }
    }

    static var invalidCases: [String] { directories(in: "Tests/Fixtures/invalid") }
    static var validCases: [String] { directories(in: "Tests/Fixtures/valid") }
    /// The example manifest repositories (examples/ also holds a systemd unit).
    static var examples: [String] {
        directories(in: "examples").filter { FileManager.default.fileExists(atPath: $0 + "/capstan.yaml") }
    }

    static func load(_ directory: String) -> LoadResult {
        ManifestLoader.load(DirectoryTree(root: directory))
    }
}

/// One line of an invalid case's EXPECT file: `file:line:column: message substring`.
struct ExpectedDiagnostic: CustomStringConvertible {
    var file: String
    var line: Int
    var column: Int
    var substring: String

    init?(_ text: Substring) {
        let parts = text.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 4, let line = Int(parts[1]), let column = Int(parts[2]) else { return nil }
        file = String(parts[0])
        self.line = line
        self.column = column
        substring = parts[3].trimmingCharacters(in: .whitespaces)
    }

    func matches(_ d: Diagnostic) -> Bool {
        d.file == file && d.mark.line == line && d.mark.column == column && d.message.contains(substring)
    }

    var description: String { "\(file):\(line):\(column): \(substring)" }
}

extension Diagnostic {
    var rendered: String { "\(file):\(mark.line):\(mark.column): \(message)" + (hint.map { " (hint: \($0))" } ?? "") }
}
