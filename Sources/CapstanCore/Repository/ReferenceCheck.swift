/// Checks between manifests: unique names per kind, and references that name something real.
enum ReferenceCheck {
    static func check(_ set: ManifestSet, declared: [ManifestKind: Set<String>], checkDangling: Bool) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        func error(_ file: String, _ mark: Mark, _ message: String, hint: String? = nil) {
            diagnostics.append(Diagnostic(file: file, mark: mark, message: message, hint: hint))
        }

        let metadata: [(ManifestKind, [Metadata])] = [
            (.project, set.projects.map(\.metadata)), (.server, set.servers.map(\.metadata)),
            (.client, set.clients.map(\.metadata)), (.policy, set.policies.map(\.metadata)),
        ]
        for (kind, items) in metadata {
            var first: [String: Metadata] = [:]
            for m in items {
                if let original = first[m.name.value] {
                    let at = "\(original.location.file):\(original.name.mark.line):\(original.name.mark.column)"
                    error(m.location.file, m.name.mark, "duplicate \(kind.rawValue) name \"\(m.name.value)\" (first defined at \(at))",
                          hint: "names are unique per kind")
                } else {
                    first[m.name.value] = m
                }
            }
        }
        guard checkDangling else { return diagnostics }

        func dangling(_ kind: ManifestKind, _ name: Located<String>, file: String, field: String) {
            guard !(declared[kind]?.contains(name.value) ?? false) else { return }
            let known = (declared[kind] ?? []).sorted()
            let hint = nearest(to: name.value, in: known).map { "did you mean \"\($0)\"?" }
                ?? (known.isEmpty ? "no \(kind.rawValue) is defined" : "defined: " + known.prefix(8).joined(separator: ", "))
            error(file, name.mark, "\(field) \"\(name.value)\" names no \(kind.rawValue)", hint: hint)
        }

        for server in set.servers {
            if case .project(let name) = server.source {
                dangling(.project, name, file: server.metadata.location.file, field: "spec.project")
            }
        }
        let serversByName = Dictionary(set.servers.map { ($0.metadata.name.value, $0) }, uniquingKeysWith: { a, _ in a })
        for policy in set.policies {
            let file = policy.metadata.location.file
            for (i, client) in policy.clients.enumerated() {
                dangling(.client, client, file: file, field: "spec.clients[\(i)]")
            }
            for (i, rule) in policy.rules.enumerated() where rule.server.value != "*" {
                dangling(.server, rule.server, file: file, field: "spec.rules[\(i)].server")
                guard let offered = serversByName[rule.server.value]?.tools else { continue }
                let names = offered.map(\.value)
                for tool in rule.tools where !Glob.hasWildcards(tool.value) && !names.contains(tool.value) {
                    error(file, tool.mark, "Server \"\(rule.server.value)\" offers no tool \"\(tool.value)\" (its spec.tools lists \(names.joined(separator: ", ")))",
                          hint: nearest(to: tool.value, in: names).map { "did you mean \"\($0)\"?" })
                }
            }
        }
        return diagnostics
    }
}
