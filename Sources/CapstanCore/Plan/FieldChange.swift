/// One field that differs between a running container's spec and the desired one: the
/// display-only reason behind a `replace`.
public struct FieldChange: Codable, Sendable, Equatable {
    public var field: String
    public var before: String?
    public var after: String?

    public init(field: String, before: String?, after: String?) {
        self.field = field
        self.before = before
        self.after = after
    }

    /// "env LOG_LEVEL changed", "secret API_KEY added", "image changed".
    public var summary: String {
        switch (before, after) {
        case (nil, _?): return "\(field) added"
        case (_?, nil): return "\(field) removed"
        default: return "\(field) changed"
        }
    }
}

extension RuntimeSpec {
    /// The fields that differ from `old`, in a stable order. Secret versions are never shown:
    /// only that a secret was added, removed or changed.
    public func changes(from old: RuntimeSpec) -> [FieldChange] {
        var changes: [FieldChange] = []
        func compare(_ field: String, _ a: String?, _ b: String?) {
            if a != b { changes.append(FieldChange(field: field, before: a, after: b)) }
        }
        compare("image", old.image, image)
        compare("command", old.command.isEmpty ? nil : quoted(old.command), command.isEmpty ? nil : quoted(command))
        for key in Set(old.env.keys).union(env.keys).sorted() {
            compare("env \(key)", old.env[key], env[key])
        }
        for key in Set(old.secrets.keys).union(secrets.keys).sorted() where old.secrets[key] != secrets[key] {
            changes.append(FieldChange(field: "secret \(key)", before: old.secrets[key].map { _ in "(hidden)" },
                                       after: secrets[key].map { _ in "(hidden)" }))
        }
        compare("transport", old.transport, transport)
        compare("port", old.port.map(String.init), port.map(String.init))
        compare("path", old.path, path)
        compare("network", old.network, network)
        compare("resources.cpus", old.nanoCPUs.map(cpus), nanoCPUs.map(cpus))
        compare("resources.memory", bytes(old.memoryBytes), bytes(memoryBytes))
        compare("resources.pids", String(old.pids), String(pids))
        compare("hardening.readOnlyRootFilesystem", String(old.readOnlyRootFilesystem), String(readOnlyRootFilesystem))
        compare("hardening.noNewPrivileges", String(old.noNewPrivileges), String(noNewPrivileges))
        compare("hardening.capAdd", old.capAdd.isEmpty ? nil : old.capAdd.joined(separator: ","),
                capAdd.isEmpty ? nil : capAdd.joined(separator: ","))
        compare("hardening.user", old.user, user)
        return changes
    }

    private func quoted(_ args: [String]) -> String {
        "[" + args.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
    }

    private func cpus(_ nano: Int) -> String { formatNumber(Double(nano) / 1e9) }

    func bytes(_ n: Int) -> String {
        for (suffix, unit) in [("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)] where n % unit == 0 {
            return "\(n / unit)\(suffix)"
        }
        return String(n)
    }
}
