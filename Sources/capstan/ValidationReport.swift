import CapstanCore
import Foundation

/// Renders a validation result for people (one line per problem) or for programs (JSON).
enum ValidationReport {
    static func text(_ result: LoadResult, display: (String) -> String) -> String {
        var out = ""
        for d in result.diagnostics {
            out += "\(display(d.file)):\(d.mark.line):\(d.mark.column): \(d.severity.rawValue): \(d.message)"
            if let hint = d.hint { out += " (hint: \(hint))" }
            out += "\n"
        }
        if result.isValid {
            out += summary(result.manifests) + "\n"
        } else {
            let errors = result.diagnostics.filter { $0.severity == .error }
            let files = Set(errors.map(\.file)).count
            out += "\(plural(errors.count, "error")) in \(plural(files, "file"))\n"
        }
        return out
    }

    static func summary(_ set: ManifestSet) -> String {
        let noun = set.count == 1 ? "manifest" : "manifests"
        return "\(set.count) \(noun) valid: \(plural(set.projects.count, "project")), \(plural(set.servers.count, "server")), "
            + "\(plural(set.clients.count, "client")), \(plural(set.policies.count, "policy", "policies"))"
    }

    private static func plural(_ n: Int, _ one: String, _ many: String? = nil) -> String {
        "\(n) \(n == 1 ? one : many ?? one + "s")"
    }

    struct JSONReport: Encodable {
        struct Item: Encodable {
            var file: String
            var line: Int
            var column: Int
            var severity: String
            var message: String
            var hint: String?

            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(file, forKey: .file)
                try c.encode(line, forKey: .line)
                try c.encode(column, forKey: .column)
                try c.encode(severity, forKey: .severity)
                try c.encode(message, forKey: .message)
                try c.encode(hint, forKey: .hint)  // null rather than absent: a stable shape
            }

            enum CodingKeys: String, CodingKey { case file, line, column, severity, message, hint }
        }

        struct Counts: Encodable {
            var projects: Int
            var servers: Int
            var clients: Int
            var policies: Int
        }

        var valid: Bool
        var files: Int
        var manifests: Counts
        var diagnostics: [Item]
    }

    static func json(_ result: LoadResult, display: (String) -> String) throws -> String {
        let m = result.manifests
        let report = JSONReport(
            valid: result.isValid,
            files: result.fileCount,
            manifests: .init(projects: m.projects.count, servers: m.servers.count, clients: m.clients.count,
                             policies: m.policies.count),
            diagnostics: result.diagnostics.map {
                .init(file: display($0.file), line: $0.mark.line, column: $0.mark.column,
                      severity: $0.severity.rawValue, message: $0.message, hint: $0.hint)
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(report), as: UTF8.self)
    }
}
