/// One decoded document.
enum DecodedManifest {
    case project(Project)
    case server(Server)
    case client(Client)
    case policy(Policy)
}

/// A name one manifest uses to point at another (`spec.project`, `spec.clients[0]`).
struct Reference {
    var kind: ManifestKind
    var name: Located<String>
    var field: String
}

/// What one document says, as far as it could be read: kind, name, references and a Project's
/// context are kept even when other fields are invalid, so that names are checked for
/// duplicates, references are checked, and a context is never scanned, whatever else is wrong.
/// `manifest` is set only when the whole document is valid.
struct DecodeOutcome {
    var file: String
    var kind: ManifestKind?
    var name: Located<String>?
    var references: [Reference] = []
    var context: String?
    var manifest: DecodedManifest?
}

/// Decodes documents into manifests, reporting every problem through the sink.
final class ManifestDecoder {
    static let apiVersion = "capstan/v1"
    let sink: DiagnosticSink
    private var references: [Reference] = []
    private var context: String?

    init(sink: DiagnosticSink) {
        self.sink = sink
    }

    func decode(_ document: YAMLDocument) -> DecodeOutcome {
        let before = sink.diagnostics.count
        references = []
        context = nil
        defer {
            references = []
            context = nil
        }
        guard let top = FieldReader(document.root, path: "", sink: sink) else { return DecodeOutcome(file: sink.file) }
        top.rejectUnknown(["apiVersion", "kind", "metadata", "spec"])
        if let version = top.string("apiVersion", required: true), version.value != Self.apiVersion {
            sink.error(version.mark, "unsupported apiVersion \"\(version.value)\"; this version of capstan reads \(Self.apiVersion)",
                       hint: "write apiVersion: \(Self.apiVersion)")
        }
        var kind: ManifestKind?
        if let k = top.string("kind", required: true) {
            kind = ManifestKind(rawValue: k.value)
            if kind == nil {
                let names = ManifestKind.allCases.map(\.rawValue)
                let near = nearest(to: k.value, in: names).map { "did you mean \"\($0)\"?" }
                sink.error(k.mark, "unknown kind \"\(k.value)\"; supported kinds: \(names.joined(separator: ", "))",
                           hint: near ?? "files that belong to other tools go under exclude: in capstan.yaml")
            }
        }
        let location = SourceLocation(file: sink.file, mark: document.root.mark)
        let metadata = top.value("metadata", required: true).flatMap { decodeMetadata($0, location: location) }
        let specNode = top.value("spec", required: true)
        var outcome = DecodeOutcome(file: sink.file, kind: kind, name: metadata?.name)
        guard let kind, let specNode, let spec = FieldReader(specNode, path: "spec", sink: sink) else { return outcome }

        let result: DecodedManifest?
        switch kind {
        case .project: result = decodeProject(spec, metadata).map(DecodedManifest.project)
        case .server: result = decodeServer(spec, metadata).map(DecodedManifest.server)
        case .client: result = decodeClient(spec, metadata).map(DecodedManifest.client)
        case .policy: result = decodePolicy(spec, metadata).map(DecodedManifest.policy)
        }
        outcome.references = references
        outcome.context = context
        if sink.diagnostics.count == before { outcome.manifest = result }
        return outcome
    }

    private func decodeMetadata(_ node: YAMLNode, location: SourceLocation) -> Metadata? {
        guard let m = FieldReader(node, path: "metadata", sink: sink) else { return nil }
        m.rejectUnknown(["name", "labels", "annotations"])
        let labels = m.textMap("labels", keyRule: .labelKey)
        for label in labels where label.value.value.count > 63 {
            sink.error(label.value.mark, "metadata.labels.\(label.key.value) is longer than 63 characters",
                       hint: "use an annotation for longer values")
        }
        let annotations = m.textMap("annotations", keyRule: .labelKey)
        guard let name = m.string("name", required: true),
              NameRule.dnsLabel.check(name, what: "metadata.name", sink: sink) else { return nil }
        return Metadata(name: name, labels: labels, annotations: annotations, location: location)
    }

    // MARK: Project

    private func decodeProject(_ spec: FieldReader, _ metadata: Metadata?) -> Project? {
        spec.rejectUnknown(["context", "dockerfile", "buildArgs", "target"])
        let contextPath = spec.string("context", required: true).flatMap { c -> Located<String>? in
            switch RelativePath.normalize(c.value) {
            case .failure(let problem):
                sink.error(c.mark, "spec.context \"\(c.value)\" \(problem.message)", hint: problem.hint)
                return nil
            case .success(""):
                sink.error(c.mark, "spec.context \"\(c.value)\" is the repository root; a Project's context must be a subdirectory",
                           hint: "move the server's source into its own directory, for example projects/\(metadata?.name.value ?? "NAME")")
                return nil
            case .success(let path):
                context = path
                return Located(path, at: c.mark)
            }
        }
        // Without spec.dockerfile, a missing Dockerfile is reported at the context it is looked for in.
        var dockerfile = Located("Dockerfile", at: contextPath?.mark ?? spec.node.mark)
        if let d = spec.string("dockerfile") {
            switch RelativePath.normalize(d.value, within: "spec.context") {
            case .failure(let problem):
                sink.error(d.mark, "spec.dockerfile \"\(d.value)\" \(problem.message)", hint: problem.hint)
            case .success(""):
                sink.error(d.mark, "spec.dockerfile must name a file inside spec.context")
            case .success(let path):
                dockerfile = Located(path, at: d.mark)
            }
        }
        let buildArgs = spec.textMap("buildArgs", keyRule: .envName)
        let target = spec.string("target")
        if let target { _ = NameRule.dockerName.check(target, what: "spec.target", sink: sink) }
        guard let metadata, let contextPath else { return nil }
        return Project(metadata: metadata, context: contextPath, dockerfile: dockerfile, buildArgs: buildArgs,
                       target: target?.value)
    }

    // MARK: Server

    private func decodeServer(_ spec: FieldReader, _ metadata: Metadata?) -> Server? {
        spec.rejectUnknown(["project", "image", "transport", "port", "path", "command", "env", "secrets",
                            "resources", "network", "tools", "hardening"])
        var source: ServerSource?
        let project = spec.string("project")
        let image = spec.string("image")
        switch (project, image) {
        case (let p?, nil):
            if NameRule.dnsLabel.check(p, what: "spec.project", sink: sink) {
                source = .project(p)
                references.append(Reference(kind: .project, name: p, field: "spec.project"))
            }
        case (nil, let i?):
            if let problem = ImageReference.problem(i.value) {
                sink.error(i.mark, "spec.image \"\(i.value)\" is not a valid image reference: \(problem)",
                           hint: "write name[:tag][@sha256:digest], for example mcp/time:1.0")
            } else {
                source = .image(i)
            }
        case (_?, let i?):
            sink.error(i.mark, "spec.project and spec.image are both set; a Server runs either a Project or an image",
                       hint: "remove one of them")
        case (nil, nil):
            if spec.child("project") == nil && spec.child("image") == nil {
                sink.error(spec.node.mark, "a Server needs spec.project or spec.image",
                           hint: "set project: NAME to build from this repository, or image: REFERENCE")
            }
        }

        var transport = Transport.stdio
        if let t = spec.string("transport") {
            if let value = Transport(rawValue: t.value) {
                transport = value
            } else {
                sink.error(t.mark, "spec.transport must be stdio or http, not \"\(t.value)\"",
                           hint: nearest(to: t.value, in: ["stdio", "http"]).map { "did you mean \"\($0)\"?" })
            }
        }
        let port = spec.int("port", in: 1...65535)
        let path = spec.string("path")
        if transport == .http, port == nil, spec.child("port") == nil {
            sink.error(spec.keyMark("transport") ?? spec.node.mark, "spec.transport http needs spec.port, the port the server listens on in the container")
        }
        if transport == .stdio {
            if let port {
                sink.error(port.mark, "spec.port is only for transport: http", hint: "remove it, or set transport: http")
            }
            if let path {
                sink.error(path.mark, "spec.path is only for transport: http", hint: "remove it, or set transport: http")
            }
        }
        if let path, !path.value.hasPrefix("/") {
            sink.error(path.mark, "spec.path must start with \"/\"", hint: "write \"/\(path.value)\"")
        }

        let command = spec.list("command") { node, path in FieldReader.text(node, path: path, sink: sink) }
        let env = spec.textMap("env", keyRule: .envName)
        let secrets = spec.list("secrets") { node, path in decodeSecret(node, path: path) }?.value ?? []
        var envSeen: [String: Mark] = [:]
        for entry in env { envSeen[entry.key.value] = entry.key.mark }
        for secret in secrets {
            if let first = envSeen[secret.env.value] {
                sink.error(secret.env.mark,
                           "environment variable \(secret.env.value) is set twice (also at line \(first.line), column \(first.column))",
                           hint: "set it either in spec.env or in spec.secrets")
            }
            envSeen[secret.env.value] = secret.env.mark
        }

        let resources = spec.value("resources").flatMap(decodeResources) ?? Resources()
        var network = "none"
        if let n = spec.string("network"), NameRule.dockerName.check(n, what: "spec.network", sink: sink) {
            network = n.value
        }
        let tools = spec.list("tools") { node, path -> Located<String>? in
            guard let t = FieldReader.string(node, path: path, sink: sink),
                  NameRule.toolName.check(t, what: path, sink: sink) else { return nil }
            return t
        }
        if let tools {
            var seen: Set<String> = []
            for tool in tools.value where !seen.insert(tool.value).inserted {
                sink.error(tool.mark, "tool \"\(tool.value)\" is listed twice in spec.tools")
            }
            if let name = metadata?.name.value {
                for tool in tools.value where name.count + 2 + tool.value.count > 128 {
                    sink.error(tool.mark, "the gateway name \"\(name)__\(tool.value)\" is longer than MCP's 128 characters",
                               hint: "shorten the server or tool name")
                }
            }
        }
        let hardening = spec.value("hardening").flatMap(decodeHardening) ?? Hardening()

        guard let metadata, let source else { return nil }
        return Server(metadata: metadata, source: source, transport: transport, port: port?.value,
                      path: transport == .http ? (path?.value ?? "/mcp") : nil,
                      command: command?.value.map(\.value) ?? [], env: env, secrets: secrets,
                      resources: resources, network: network, tools: tools?.value, hardening: hardening)
    }

    private func decodeSecret(_ node: YAMLNode, path: String) -> SecretRef? {
        guard let r = FieldReader(node, path: path, sink: sink) else { return nil }
        r.rejectUnknown(["env", "secret"])
        let env = r.string("env", required: true)
        let secret = r.string("secret", required: true)
        let envValid = env.map { NameRule.envName.check($0, what: "\(path).env", sink: sink) } ?? false
        let secretValid = secret.map { NameRule.dnsLabel.check($0, what: "\(path).secret", sink: sink) } ?? false
        guard let env, let secret, envValid, secretValid else { return nil }
        return SecretRef(env: env, secret: secret)
    }

    private func decodeResources(_ node: YAMLNode) -> Resources? {
        guard let r = FieldReader(node, path: "spec.resources", sink: sink) else { return nil }
        r.rejectUnknown(["cpus", "memory", "pids"])
        var resources = Resources()
        if let cpus = r.number("cpus") {
            if cpus.value > 0 && cpus.value <= 1024 {
                resources.cpus = cpus.value
            } else {
                sink.error(cpus.mark, "spec.resources.cpus must be more than 0 and at most 1024, not \(formatNumber(cpus.value))")
            }
        }
        if let memory = r.value("memory") {
            resources.memory = Quantity.bytes(memory, path: "spec.resources.memory", sink: sink)
        }
        resources.pids = r.int("pids", in: 1...Int.max)?.value
        return resources
    }

    private func decodeHardening(_ node: YAMLNode) -> Hardening? {
        guard let r = FieldReader(node, path: "spec.hardening", sink: sink) else { return nil }
        r.rejectUnknown(["readOnlyRootFilesystem", "noNewPrivileges", "capAdd", "user"])
        var h = Hardening()
        if let v = r.bool("readOnlyRootFilesystem") { h.readOnlyRootFilesystem = v.value }
        if let v = r.bool("noNewPrivileges") { h.noNewPrivileges = v.value }
        let caps = r.list("capAdd") { node, path -> Located<String>? in
            guard let c = FieldReader.string(node, path: path, sink: sink),
                  NameRule.capability.check(c, what: path, sink: sink) else { return nil }
            return c
        }?.value ?? []
        var seen: Set<String> = []
        for cap in caps where !seen.insert(cap.value).inserted {
            sink.error(cap.mark, "capability \(cap.value) is listed twice in spec.hardening.capAdd")
        }
        h.capAdd = caps.map(\.value)
        if let user = r.string("user") {
            if let problem = NameRule.user.problem(user.value) {
                sink.error(user.mark, "spec.hardening.user \"\(user.value)\" is not valid: \(problem)")
            } else {
                h.user = user.value
            }
        }
        return h
    }

    // MARK: Client

    private func decodeClient(_ spec: FieldReader, _ metadata: Metadata?) -> Client? {
        spec.rejectUnknown(["app", "tokenHash"])
        var app: ClientApp?
        if let a = spec.string("app", required: true) {
            app = ClientApp(rawValue: a.value)
            if app == nil {
                let names = ClientApp.allCases.map(\.rawValue)
                sink.error(a.mark, "spec.app \"\(a.value)\" is not a known client app; use one of \(names.joined(separator: ", "))",
                           hint: nearest(to: a.value, in: names).map { "did you mean \"\($0)\"?" })
            }
        }
        let tokenHash = spec.string("tokenHash", required: true)
        if let t = tokenHash, !TokenHash.isValid(t.value) {
            sink.error(t.mark, "spec.tokenHash must be \"sha256:\" followed by 64 lowercase hex digits",
                       hint: TokenHash.hint(for: t.value))
        }
        guard let metadata, let app, let tokenHash else { return nil }
        return Client(metadata: metadata, app: app, tokenHash: tokenHash.value)
    }

    // MARK: Policy

    private func decodePolicy(_ spec: FieldReader, _ metadata: Metadata?) -> Policy? {
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

    private func decodeRule(_ node: YAMLNode, path: String) -> PolicyRule? {
        guard let r = FieldReader(node, path: path, sink: sink) else { return nil }
        r.rejectUnknown(["server", "tools", "effect"])
        var server = r.string("server", required: true)
        if let s = server, s.value != "*" {
            if NameRule.dnsLabel.check(s, what: "\(path).server", sink: sink) {
                references.append(Reference(kind: .server, name: s, field: "\(path).server"))
            } else {
                server = nil
            }
        }
        let tools = r.list("tools", required: true) { node, itemPath -> Located<String>? in
            guard let t = FieldReader.string(node, path: itemPath, sink: sink),
                  NameRule.toolGlob.check(t, what: itemPath, sink: sink) else { return nil }
            return t
        }
        if let tools, tools.value.isEmpty, r.child("tools")?.sequenceCount == 0 {
            sink.error(tools.mark, "\(path).tools is empty", hint: "write [\"*\"] for every tool of the server")
        }
        var effect: Effect?
        if let e = r.string("effect", required: true) {
            effect = Effect(rawValue: e.value)
            if effect == nil {
                sink.error(e.mark, "\(path).effect must be allow or deny, not \"\(e.value)\"",
                           hint: nearest(to: e.value, in: ["allow", "deny"]).map { "did you mean \"\($0)\"?" })
            }
        }
        guard let server, let tools, let effect else { return nil }
        return PolicyRule(server: server, tools: tools.value, effect: effect)
    }
}

extension YAMLNode {
    var sequenceCount: Int? {
        if case .sequence(let items) = value { return items.count }
        return nil
    }
}
