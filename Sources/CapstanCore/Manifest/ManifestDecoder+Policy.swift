/// Policy: which clients may call which tools (deny wins over allow).
extension ManifestDecoder {
    func decodePolicy(_ spec: FieldReader, _ metadata: Metadata?) -> Policy? {
        spec.rejectUnknown(["clients", "selector", "rules"])
        let clients = spec.list("clients") { node, path -> Located<String>? in
            guard let c = FieldReader.string(node, path: path, sink: sink),
                  NameRule.dnsLabel.check(c, what: path, sink: sink) else { return nil }
            references.append(Reference(kind: .client, name: c, field: path))
            return c
        }
        if let clients, spec.child("clients")?.sequenceCount == 0 {
            sink.error(clients.mark, "spec.clients is empty", hint: "name at least one Client, or use spec.selector instead")
        }
        var matchLabels: [TextEntry]?
        if let selector = spec.value("selector"), let s = FieldReader(selector, path: "spec.selector", sink: sink) {
            s.rejectUnknown(["matchLabels"])
            if let labels = s.value("matchLabels", required: true) {
                matchLabels = s.textMap("matchLabels", keyRule: .labelKey)
                if case .mapping(let pairs) = labels.value, pairs.isEmpty {
                    sink.error(labels.mark, "spec.selector.matchLabels is empty; it would match every Client",
                               hint: "name at least one label, or list the clients in spec.clients")
                }
            }
        }
        if spec.child("clients") == nil && spec.child("selector") == nil {
            sink.error(spec.node.mark, "a Policy needs spec.clients or spec.selector to say which clients it covers")
        }
        let rules = spec.list("rules", required: true) { node, path in decodeRule(node, path: path) }
        if let rules, spec.child("rules")?.sequenceCount == 0 {
            sink.error(rules.mark, "spec.rules is empty; a Policy needs at least one rule")
        }
        guard let metadata, let rules else { return nil }
        return Policy(metadata: metadata, clients: clients?.value ?? [], matchLabels: matchLabels, rules: rules.value)
    }

    func decodeRule(_ node: YAMLNode, path: String) -> PolicyRule? {
        guard let r = FieldReader(node, path: path, sink: sink) else { return nil }
        r.rejectUnknown(["server", "tools", "prompts", "resources", "effect"])
        var server = r.string("server", required: true)
        if let s = server, s.value != "*" {
            if NameRule.dnsLabel.check(s, what: "\(path).server", sink: sink) {
                references.append(Reference(kind: .server, name: s, field: "\(path).server"))
            } else {
                server = nil
            }
        }
        let tools = patterns(r, "tools", path: path, rule: .toolGlob)
        let prompts = patterns(r, "prompts", path: path, rule: .toolGlob)
        let resources = patterns(r, "resources", path: path, rule: .resourcePattern)
        if r.child("tools") == nil && r.child("prompts") == nil && r.child("resources") == nil {
            sink.error(node.mark, "\(path) needs tools, prompts or resources to say what it covers",
                       hint: "write tools: [\"*\"] for every tool of the server")
        }
        var effect: Effect?
        if let e = r.string("effect", required: true) {
            effect = Effect(rawValue: e.value)
            if effect == nil {
                sink.error(e.mark, "\(path).effect must be allow or deny, not \"\(e.value)\"",
                           hint: nearest(to: e.value, in: ["allow", "deny"]).map { "did you mean \"\($0)\"?" })
            }
        }
        guard let server, let tools, let prompts, let resources, let effect else { return nil }
        return PolicyRule(server: server, tools: tools, prompts: prompts, resources: resources, effect: effect)
    }

    /// An optional list of patterns; nil when the list is present but invalid.
    private func patterns(_ r: FieldReader, _ key: String, path: String, rule: NameRule) -> [Located<String>]? {
        guard r.child(key) != nil else { return [] }
        guard let list = r.list(key, item: { node, itemPath -> Located<String>? in
            guard let p = FieldReader.string(node, path: itemPath, sink: sink),
                  rule.check(p, what: itemPath, sink: sink) else { return nil }
            return p
        }) else { return nil }
        if list.value.isEmpty, r.child(key)?.sequenceCount == 0 {
            sink.error(list.mark, "\(path).\(key) is empty", hint: "write [\"*\"] for all of them, or remove the field")
            return nil
        }
        return list.value
    }
}
