extension RepositoryConfig {
    static let fileName = "capstan.yaml"

    /// Decodes `capstan.yaml`; problems go to the sink and leave the defaults in place.
    static func decode(_ bytes: [UInt8], sink: DiagnosticSink) -> RepositoryConfig {
        var config = RepositoryConfig()
        let documents: [YAMLDocument]
        switch YAMLLoader.load(bytes) {
        case .failure(let f):
            sink.error(f.mark, f.message, hint: f.hint)
            return config
        case .success(let docs):
            documents = docs
        }
        guard let document = documents.first else { return config }
        if documents.count > 1 {
            sink.error(documents[1].mark, "capstan.yaml holds one document, not \(documents.count)")
        }
        guard let r = FieldReader(document.root, path: "", sink: sink) else { return config }
        r.rejectUnknown(["root", "instance", "exclude", "maxContextSize"])
        if let root = r.string("root") {
            switch RelativePath.normalize(root.value) {
            case .success(let path):
                config.root = path
                config.rootMark = root.mark
            case .failure(let problem): sink.error(root.mark, "root \"\(root.value)\" \(problem.message)", hint: problem.hint)
            }
        }
        if let instance = r.string("instance"), NameRule.dnsLabel.check(instance, what: "instance", sink: sink) {
            config.instance = instance.value
        }
        if let node = r.value("maxContextSize"),
           let bytes = Quantity.bytes(node, path: "maxContextSize", sink: sink, minimum: (1, "1 byte")) {
            config.maxContextSize = bytes
        }
        config.exclude = r.list("exclude") { node, path -> String? in
            guard let glob = FieldReader.string(node, path: path, sink: sink) else { return nil }
            if glob.value.isEmpty {
                sink.error(glob.mark, "\(path) is an empty pattern")
                return nil
            }
            if glob.value.hasPrefix("/") {
                sink.error(glob.mark, "\(path) \"\(glob.value)\" is absolute; patterns are relative to the manifest root",
                           hint: "write \"\(glob.value.drop { $0 == "/" })\"; a pattern with \"/\" already matches from the root")
                return nil
            }
            return glob.value
        }?.value.map { $0 } ?? []
        return config
    }
}
