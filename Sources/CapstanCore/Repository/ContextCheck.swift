/// Checks that every Project's build context and Dockerfile exist and stay inside the
/// repository, following symbolic links without ever leaving it.
enum ContextCheck {
    static func check(_ projects: [Project], in tree: some SourceTree) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        for project in projects {
            let file = project.metadata.location.file
            func error(_ mark: Mark, _ message: String, hint: String? = nil) {
                diagnostics.append(Diagnostic(file: file, mark: mark, message: message, hint: hint))
            }
            let context = project.context
            let realContext: String
            switch PathResolver.resolve(context.value, in: tree) {
            case .failure(.escapes(let link, let target)):
                error(context.mark, "spec.context \"\(context.value)\" goes through the symbolic link \(link) -> \(target), which points outside the repository",
                      hint: "copy the files into the repository instead of linking to them")
                continue
            case .failure(.loop(let link)):
                error(context.mark, "spec.context \"\(context.value)\" goes through a loop of symbolic links at \(link)")
                continue
            case .success(let real):
                realContext = real
            }
            switch tree.kind(of: realContext) {
            case .directory:
                break
            case .missing:
                error(context.mark, "spec.context \"\(context.value)\" does not exist in the repository",
                      hint: "the path is relative to the repository root")
                continue
            default:
                error(context.mark, "spec.context \"\(context.value)\" is not a directory")
                continue
            }
            let dockerfile = project.dockerfile
            switch PathResolver.resolve(realContext + "/" + dockerfile.value, in: tree) {
            case .success(let real) where real.hasPrefix(realContext + "/"):
                switch tree.kind(of: real) {
                case .file:
                    break
                case .directory:
                    error(dockerfile.mark, "Dockerfile \"\(dockerfile.value)\" in \(context.value) is a directory, not a file",
                          hint: "set spec.dockerfile to the file inside it")
                default:
                    error(dockerfile.mark, "Dockerfile \"\(dockerfile.value)\" not found in \(context.value)",
                          hint: "add \(context.value)/\(dockerfile.value), or set spec.dockerfile")
                }
            case .success, .failure(.escapes):
                error(dockerfile.mark, "spec.dockerfile \"\(dockerfile.value)\" is a symbolic link that leaves spec.context")
            case .failure(.loop(let link)):
                error(dockerfile.mark, "spec.dockerfile \"\(dockerfile.value)\" goes through a loop of symbolic links at \(link)")
            }
        }
        return diagnostics
    }
}
