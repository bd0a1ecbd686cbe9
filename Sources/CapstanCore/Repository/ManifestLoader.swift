import Dispatch
import Synchronization

/// The outcome of reading a manifest repository: the manifests that are valid, and every
/// problem found. A repository with any error diagnostic must never be applied.
public struct LoadResult: Sendable {
    public var manifests: ManifestSet
    public var diagnostics: [Diagnostic]
    /// Manifest files read (after exclusions).
    public var fileCount: Int

    public var isValid: Bool { !diagnostics.contains { $0.severity == .error } }
}

/// Reads a repository: `capstan.yaml`, then every manifest file under the manifest root;
/// decodes, checks Project contexts against the tree, and checks references between manifests.
public enum ManifestLoader {
    public static func load(_ tree: some SourceTree) -> LoadResult {
        var diagnostics: [Diagnostic] = []
        var config = RepositoryConfig()
        if tree.kind(of: RepositoryConfig.fileName) == .file {
            let sink = DiagnosticSink(file: RepositoryConfig.fileName)
            do {
                config = RepositoryConfig.decode(try tree.read(RepositoryConfig.fileName), sink: sink)
            } catch {
                sink.error(Mark(line: 1, column: 1), describe(error))
            }
            diagnostics += sink.diagnostics
        }

        let candidates: [String]
        do {
            candidates = try tree.files(under: config.root).filter { path in
                (path.hasSuffix(".yaml") || path.hasSuffix(".yml")) && path != RepositoryConfig.fileName
                    && !config.exclude.contains { Glob.pathMatches($0, relative(path, to: config.root)) }
            }
        } catch {
            if let rootMark = config.rootMark {
                let problem = tree.kind(of: config.root) == .missing ? "does not exist" : describe(error)
                diagnostics.append(Diagnostic(file: RepositoryConfig.fileName, mark: rootMark,
                                              message: "root \"\(config.root)\" \(problem)",
                                              hint: "root is a directory relative to the repository root"))
            } else {
                diagnostics.append(Diagnostic(file: ".", mark: Mark(line: 1, column: 1), message: describe(error)))
            }
            return LoadResult(manifests: ManifestSet(), diagnostics: diagnostics.sorted(), fileCount: 0)
        }

        let files = decodeFiles(candidates, in: tree)

        // A Project's context is its own source: YAML files there belong to the server, not to
        // us. Every Project's, valid or not, both as written and as its links resolve.
        var contexts: Set<String> = []
        for outcome in files.flatMap(\.outcomes) where outcome.kind == .project {
            guard let context = outcome.context else { continue }
            contexts.insert(context)
            if case .success(let real) = PathResolver.resolve(context, in: tree) { contexts.insert(real) }
        }
        let manifestFiles = files.filter { file in
            !contexts.contains { file.path.hasPrefix($0 + "/") }
        }

        var set = ManifestSet()
        set.config = config
        let outcomes = manifestFiles.flatMap(\.outcomes)
        for file in manifestFiles {
            diagnostics += file.diagnostics
        }
        for outcome in outcomes {
            switch outcome.manifest {
            case .project(let p)?: set.projects.append(p)
            case .server(let s)?: set.servers.append(s)
            case .client(let c)?: set.clients.append(c)
            case .policy(let p)?: set.policies.append(p)
            case nil: break
            }
        }

        diagnostics += ContextCheck.check(set.projects, in: tree)
        diagnostics += ReferenceCheck.check(outcomes, valid: set, checkDangling: manifestFiles.allSatisfy(\.loaded))
        return LoadResult(manifests: set, diagnostics: diagnostics.sorted(), fileCount: manifestFiles.count)
    }

    private struct DecodedFile: Sendable {
        var path: String
        var loaded = false
        var outcomes: [DecodeOutcome] = []
        var diagnostics: [Diagnostic] = []
    }

    /// Parses and decodes files on every core: each file is independent.
    private static func decodeFiles(_ paths: [String], in tree: some SourceTree) -> [DecodedFile] {
        let results = Mutex<[DecodedFile?]>(Array(repeating: nil, count: paths.count))
        DispatchQueue.concurrentPerform(iterations: paths.count) { i in
            let file = decodeFile(paths[i], in: tree)
            results.withLock { $0[i] = file }
        }
        return results.withLock { $0.map { $0! } }
    }

    private static func decodeFile(_ path: String, in tree: some SourceTree) -> DecodedFile {
        var file = DecodedFile(path: path)
        let sink = DiagnosticSink(file: path)
        do {
            switch YAMLLoader.load(try tree.read(path)) {
            case .failure(let f):
                sink.error(f.mark, f.message, hint: f.hint)
            case .success(let documents):
                file.loaded = true
                let decoder = ManifestDecoder(sink: sink)
                file.outcomes = documents.map(decoder.decode)
            }
        } catch {
            sink.error(Mark(line: 1, column: 1), describe(error))
        }
        file.diagnostics = sink.diagnostics
        return file
    }

    private static func relative(_ path: String, to root: String) -> String {
        root.isEmpty ? path : String(path.dropFirst(root.count + 1))
    }

    static func describe(_ error: any Error) -> String {
        switch error as? SourceError {
        case .notADirectory(let path)?: return "\(path.isEmpty ? "." : path) is not a directory"
        case .unreadable(let path, let reason)?: return "cannot read \(path): \(reason)"
        case nil: return "\(error)"
        }
    }
}
