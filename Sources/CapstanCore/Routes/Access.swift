/// What a rule can cover.
public enum AccessKind: String, Sendable, Codable, CaseIterable {
    case tool, prompt, resource
}

/// The policy decision: default deny; a name is reachable when some rule allows it and no rule
/// denies it. Pure, so the gateway, the plan and the dashboard all compute the same answer.
public enum Access {
    public static func allows(_ client: RouteClient, server: String, kind: AccessKind, name: String) -> Bool {
        var allowed = false
        for rule in client.rules where rule.server == "*" || rule.server == server {
            guard rule.patterns(for: kind).contains(where: { NamePattern.matches($0, name) }) else { continue }
            if rule.effect == .deny { return false }
            allowed = true
        }
        return allowed
    }

    /// Whether any rule could allow something of `kind` on `server`: lets the gateway skip
    /// asking a backend for a list the client could never see.
    public static func mayReach(_ client: RouteClient, server: String, kind: AccessKind) -> Bool {
        client.rules.contains { ($0.server == "*" || $0.server == server) && $0.effect == .allow && !$0.patterns(for: kind).isEmpty }
    }
}

extension RouteRule {
    public func patterns(for kind: AccessKind) -> [String] {
        switch kind {
        case .tool: tools
        case .prompt: prompts
        case .resource: resources
        }
    }
}

/// Glob matching for names: `*` matches any run of characters (including none), `?` exactly one.
/// Matching is on Unicode scalars, so a look-alike character never matches a plain letter.
public enum NamePattern {
    public static func matches(_ pattern: String, _ name: String) -> Bool {
        if !pattern.contains("*") && !pattern.contains("?") { return pattern == name }
        let p = Array(pattern.unicodeScalars), n = Array(name.unicodeScalars)
        var pi = 0, ni = 0, star = -1, mark = 0
        while ni < n.count {
            if pi < p.count, p[pi] == "?" || p[pi] == n[ni] {
                pi += 1; ni += 1
            } else if pi < p.count, p[pi] == "*" {
                star = pi; mark = ni; pi += 1
            } else if star >= 0 {
                pi = star + 1; mark += 1; ni = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}

/// Gateway names of tools and prompts: `<server>__<name>`. The server part is a DNS label, which
/// never contains `__`, so the first `__` splits unambiguously.
public enum GatewayName {
    public static let separator = "__"

    public static func join(server: String, name: String) -> String { server + separator + name }

    public static func split(_ qualified: String) -> (server: String, name: String)? {
        guard let range = qualified.range(of: separator) else { return nil }
        let server = String(qualified[..<range.lowerBound]), name = String(qualified[range.upperBound...])
        guard !server.isEmpty, !name.isEmpty, dnsLabelProblem(server) == nil else { return nil }
        return (server, name)
    }
}
