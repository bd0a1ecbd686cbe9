/// Checks between manifests: unique names per kind, and references that name something real.
/// It works from what every document declared, valid or not, so that one typo does not hide
/// another problem elsewhere.
enum ReferenceCheck {
    static func check(_ outcomes: [DecodeOutcome], valid set: ManifestSet, checkDangling: Bool) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        func error(_ file: String, _ mark: Mark, _ message: String, hint: String? = nil) {
            diagnostics.append(Diagnostic(file: file, mark: mark, message: message, hint: hint))
        }

        var declared: [ManifestKind: [String: (file: String, mark: Mark)]] = [:]
        for outcome in outcomes {
            guard let kind = outcome.kind, let name = outcome.name else { continue }
            if let first = declared[kind]?[name.value] {
                error(outcome.file, name.mark,
                      "duplicate \(kind.rawValue) name \"\(name.value)\" (first defined at \(first.file):\(first.mark.line):\(first.mark.column))",
                      hint: "names are unique per kind")
            } else {
                declared[kind, default: [:]][name.value] = (outcome.file, name.mark)
            }
        }
        // A file that did not parse may hold the target of any reference; reporting references
        // as dangling then would only add noise to the real error.
        guard checkDangling else { return diagnostics }

        for outcome in outcomes {
            for reference in outcome.references where declared[reference.kind]?[reference.name.value] == nil {
                let known = (declared[reference.kind] ?? [:]).keys.sorted()
                let hint = nearest(to: reference.name.value, in: known).map { "did you mean \"\($0)\"?" }
                    ?? (known.isEmpty ? "no \(reference.kind.rawValue) is defined" : "defined: " + known.prefix(8).joined(separator: ", "))
                error(outcome.file, reference.name.mark,
                      "\(reference.field) \"\(reference.name.value)\" names no \(reference.kind.rawValue)", hint: hint)
            }
        }

        let offeredTools = Dictionary(set.servers.map { ($0.metadata.name.value, $0.tools) }, uniquingKeysWith: { a, _ in a })
        for policy in set.policies {
            for rule in policy.rules where rule.server.value != "*" {
                guard let offered = offeredTools[rule.server.value] ?? nil else { continue }
                let names = offered.map(\.value)
                for tool in rule.tools where !Glob.hasWildcards(tool.value) && !names.contains(tool.value) {
                    error(policy.metadata.location.file, tool.mark,
                          "Server \"\(rule.server.value)\" offers no tool \"\(tool.value)\" (its spec.tools lists \(names.joined(separator: ", ")))",
                          hint: nearest(to: tool.value, in: names).map { "did you mean \"\($0)\"?" })
                }
            }
        }
        return diagnostics
    }
}
