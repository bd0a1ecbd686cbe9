import CapstanGit
import CapstanCore

/// A repository at one revision, as a tree the loader and the context archiver can read.
public struct ManifestSource: Sendable {
    public var tree: any BuildContextSource
    /// A commit ID, or `workdir` for a working directory.
    public var revision: String
    public var description: PlanSource
    /// The commit's subject and author, when the tree comes from git (the dashboard shows them).
    public var commit: CommitInfo?

    public init(tree: any BuildContextSource, revision: String, description: PlanSource, commit: CommitInfo? = nil) {
        self.tree = tree
        self.revision = revision
        self.description = description
        self.commit = commit
    }
}

/// Everything `plan`, `apply` and `status` share: validate, archive contexts, observe, resolve,
/// plan. Fails before touching anything when the repository is invalid.
public struct PlanPipeline: Sendable {
    public enum Failure: Error, Sendable {
        case invalid(LoadResult)
        case unplannable([PlanProblem])
        case contextUnreadable(project: String, reason: String)
        case engine(String)
        /// The gateway's admin API did not answer.
        case gateway(String)
    }

    public struct Prepared: Sendable {
        public var plan: Plan
        public var observed: ObservedState
        public var archives: [String: ContextArchive]
        public var manifests: ManifestSet
    }

    public var engine: any ContainerEngine
    public var secrets: SecretStore
    /// Overrides `instance:` of capstan.yaml when set.
    public var instance: String?
    /// The gateway to plan routes against; nil plans containers only.
    public var routes: (any RouteStore)?

    public init(engine: any ContainerEngine, secrets: SecretStore, instance: String?, routes: (any RouteStore)? = nil) {
        self.engine = engine
        self.secrets = secrets
        self.instance = instance
        self.routes = routes
    }

    public func prepare(_ source: ManifestSource) async throws(Failure) -> Prepared {
        let loaded = ManifestLoader.load(source.tree)
        guard loaded.isValid else { throw .invalid(loaded) }
        let manifests = loaded.manifests
        let instance = self.instance ?? manifests.config.instance

        var archives: [String: ContextArchive] = [:]
        var oversized: [Diagnostic] = []
        for project in manifests.projects {
            do {
                let entries = try ContextArchive.entries(of: project, in: source.tree)
                if let problem = ContextArchive.oversized(project, entries: entries, limit: manifests.config.maxContextSize) {
                    oversized.append(problem)
                    continue
                }
                archives[project.metadata.name.value] = try ContextArchive.make(project: project, entries: entries, from: source.tree)
            } catch {
                throw .contextUnreadable(project: project.metadata.name.value, reason: String(describing: error))
            }
        }
        if !oversized.isEmpty {
            var result = loaded
            result.diagnostics = (result.diagnostics + oversized).sorted()
            throw .invalid(result)
        }

        var observed: ObservedState
        var imageIDs: [String: String] = [:]
        do {
            observed = try await Observer.observe(engine, instance: instance)
            imageIDs = observed.imagesByTag
            for server in manifests.servers {
                guard case .image(let reference) = server.source, imageIDs[reference.value] == nil else { continue }
                if let id = try await engine.imageID(reference.value) { imageIDs[reference.value] = id }
            }
        } catch {
            throw .engine(String(describing: error))
        }
        if let routes {
            do {
                observed.routes = try await routes.currentRoutes()
            } catch {
                throw .gateway(String(describing: error))
            }
        }

        let secrets = self.secrets
        let desired = DesiredStateBuilder.build(
            manifests: manifests, instance: instance, revision: source.revision,
            contextHashes: archives.mapValues(\.contextHash), imageIDs: imageIDs,
            // An unreadable secret file counts as missing: either way the server cannot start.
            secretVersion: { name in (try? secrets.version(name)) ?? nil })
        switch desired {
        case .failure(let problems):
            throw .unplannable(problems.problems)
        case .success(let desired):
            var plan = Planner.plan(desired: desired, observed: observed)
            plan.source = source.description
            return Prepared(plan: plan, observed: observed, archives: archives, manifests: manifests)
        }
    }
}
