/// Server: a container running an MCP server, from a Project or an image.
extension ManifestDecoder {
    func decodeServer(_ spec: FieldReader, _ metadata: Metadata?) -> Server? {
        spec.rejectUnknown(["project", "image", "transport", "port", "path", "command", "env", "secrets",
                            "resources", "network", "tools", "hardening", "timeout"])
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
        // An http server is reached by the gateway on 127.0.0.1, so it shares the host's loopback.
        var network = transport == .http ? "host" : "none"
        let networkField = spec.string("network")
        if let n = networkField, NameRule.dockerName.check(n, what: "spec.network", sink: sink) {
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
        var timeoutMilliseconds = CallTimeout.defaultMilliseconds
        if let t = spec.string("timeout") {
            if let ms = CallTimeout.milliseconds(t.value) {
                timeoutMilliseconds = ms
            } else {
                sink.error(t.mark, "spec.timeout \"\(t.value)\" is not a duration between 100ms and 1h",
                           hint: "write a number with ms, s or m, for example 30s")
            }
        }
        if transport == .http, network != "host", let n = networkField {
            sink.error(n.mark,
                       "a Server with transport: http must use network: host, so the gateway reaches it on 127.0.0.1",
                       hint: "add network: host and make the server listen on 127.0.0.1")
        }

        guard let metadata, let source else { return nil }
        return Server(metadata: metadata, source: source, transport: transport, port: port?.value,
                      path: transport == .http ? (path?.value ?? "/mcp") : nil,
                      command: command?.value.map(\.value) ?? [], env: env, secrets: secrets,
                      resources: resources, network: network, tools: tools?.value, hardening: hardening,
                      timeoutMilliseconds: timeoutMilliseconds)
    }

    func decodeSecret(_ node: YAMLNode, path: String) -> SecretRef? {
        guard let r = FieldReader(node, path: path, sink: sink) else { return nil }
        r.rejectUnknown(["env", "secret"])
        let env = r.string("env", required: true)
        let secret = r.string("secret", required: true)
        let envValid = env.map { NameRule.envName.check($0, what: "\(path).env", sink: sink) } ?? false
        let secretValid = secret.map { NameRule.dnsLabel.check($0, what: "\(path).secret", sink: sink) } ?? false
        guard let env, let secret, envValid, secretValid else { return nil }
        return SecretRef(env: env, secret: secret)
    }

    func decodeResources(_ node: YAMLNode) -> Resources? {
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

    func decodeHardening(_ node: YAMLNode) -> Hardening? {
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
}
