/// Project: where a server's source lives in the repository and how it is built.
extension ManifestDecoder {
    func decodeProject(_ spec: FieldReader, _ metadata: Metadata?) -> Project? {
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
}
