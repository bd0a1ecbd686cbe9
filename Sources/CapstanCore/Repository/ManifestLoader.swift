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
            let what = config.root.isEmpty ? "the repository" : "root \"\(config.root)\""
            diagnostics.append(Diagnostic(file: config.root.isEmpty ? "." : config.root, mark: Mark(line: 1, column: 1),
                                          message: "cannot read \(what): \(describe(error))"))
            return LoadResult(manifests: ManifestSet(), diagnostics: diagnostics, fileCount: 0)
        }

        let files = decodeFiles(candidates, in: tree)

        // A Project's context is its own source: YAML files there belong to the server, not to us.
        let contexts = files.flatMap { $0.outcomes.compactMap { outcome -> String? in
            if case .project(let p)? = outcome.manifest { return p.context.value }
            return nil
        } }
        let manifestFiles = files.filter { file in
            !contexts.contains { file.path.hasPrefix($0 + "/") }
        }

        var set = ManifestSet()
        set.config = config
        var declared: [ManifestKind: Set<String>] = [:]
        var everyFileLoaded = true
        for file in manifestFiles {
            diagnostics += file.diagnostics
            everyFileLoaded = everyFileLoaded && file.loaded
            for outcome in file.outcomes {
                if let kind = outcome.kind, let name = outcome.name { declared[kind, default: []].insert(name.value) }
                switch outcome.manifest {
                case .project(let p)?: set.projects.append(p)
                case .server(let s)?: set.servers.append(s)
                case .client(let c)?: set.clients.append(c)
                case .policy(let p)?: set.policies.append(p)
                case nil: break
                }
            }
        }

        diagnostics += ContextCheck.check(set.projects, in: tree)
        // A file that did not parse may hold the target of any reference; reporting references
        // as dangling then would only add noise to the real error.
        diagnostics += ReferenceCheck.check(set, declared: declared, checkDangling: everyFileLoaded)
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
