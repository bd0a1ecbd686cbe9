/// Client: an LLM client identity; git holds only its token's hash.
extension ManifestDecoder {
    func decodeClient(_ spec: FieldReader, _ metadata: Metadata?) -> Client? {
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
}
