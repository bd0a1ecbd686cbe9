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
    // What the document being decoded declares; reset for each document.
    var references: [Reference] = []
    var context: String?

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

    func decodeMetadata(_ node: YAMLNode, location: SourceLocation) -> Metadata? {
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

}

extension YAMLNode {
    var sequenceCount: Int? {
        if case .sequence(let items) = value { return items.count }
        return nil
    }
}
