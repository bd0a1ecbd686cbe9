import CapstanCore
import Foundation

/// Carries out a plan: builds first, then containers, each phase with bounded concurrency. A
/// failed action fails only itself and what depends on it; a failed replace leaves the old
/// container serving.
public struct Applier: Sendable {
    public var engine: any ContainerEngine
    public var secrets: SecretStore
    public var concurrency: Int
    public var stopTimeoutSeconds = 5
    /// Each action is recorded as soon as it ends, so that a killed apply leaves a true record.
    public var recorder: (any ApplyRecorder)?
    /// The gateway whose routes the plan changes; nil when the plan has no route changes.
    public var routes: (any RouteStore)?
    public var runID: String
    public var onEvent: @Sendable (ApplyEvent) -> Void

    public init(engine: any ContainerEngine, secrets: SecretStore, concurrency: Int = 4,
                recorder: (any ApplyRecorder)? = nil, routes: (any RouteStore)? = nil, runID: String = "",
                onEvent: @escaping @Sendable (ApplyEvent) -> Void = { _ in }) {
        self.routes = routes
        self.engine = engine
        self.secrets = secrets
        self.concurrency = max(1, concurrency)
        self.recorder = recorder
        self.runID = runID
        self.onEvent = onEvent
    }

    /// - Parameter archives: Project name → its build context, made from the planned revision.
    public func apply(_ plan: Plan, archives: [String: ContextArchive]) async -> ApplyReport {
        var results: [ActionResult] = []

        let builds = plan.actions.filter { $0.kind == .build }
        let buildResults = await forEachBounded(builds) { action in
            await self.run(action) { () async throws -> (String?, String?) in
                let project = String(action.address.dropFirst("image.".count))
                let id = try await self.build(project: project, plan: plan, archives: archives)
                return (nil, id)
            }
        }
        results += buildResults
        let builtImages = Dictionary(uniqueKeysWithValues: buildResults.compactMap { r -> (String, String)? in
            guard r.outcome == .succeeded, let id = r.afterHash else { return nil }
            return (String(r.address.dropFirst("image.".count)), id)
        })

        // Routes change after the containers they point to run and before the ones they no
        // longer point to go, so no client is routed to a container that is not there.
        let containerActions = plan.actions.filter { [.create, .replace, .start].contains($0.kind) }
        let containerResults = await forEachBounded(containerActions) { action in
            await self.runContainerAction(action, plan: plan, builtImages: builtImages, buildResults: buildResults)
        }
        results += containerResults
        if let routePlan = plan.routes, !routePlan.changes.isEmpty {
            results.append(await replaceRoutes(plan, routePlan, failed: containerResults.filter { $0.outcome != .succeeded }))
        }
        let deletions = plan.actions.filter { $0.kind == .delete }
        results += await forEachBounded(deletions) { action in
            await self.runContainerAction(action, plan: plan, builtImages: builtImages, buildResults: buildResults)
        }
        return ApplyReport(results: results)
    }

    /// Writes the plan's routes. A server whose container could not be created is left out
    /// from the table, so clients are not sent to a container that is not there.
    private func replaceRoutes(_ plan: Plan, _ routePlan: RoutePlan, failed: [ActionResult]) async -> ActionResult {
        let action = PlannedAction(address: "routes", kind: .routes,
                                   reason: "\(routePlan.changes.count) route \(routePlan.changes.count == 1 ? "change" : "changes")")
        return await run(action) { () async throws -> (String?, String?) in
            guard let store = self.routes else { throw ApplyFailure("no gateway to write the routes to") }
            let missing = Set(failed.filter { $0.kind == .create }.map { String($0.address.dropFirst("server.".count)) })
            var table = plan.desired.routes
            table.servers.removeAll { missing.contains($0.name) }
            let written = try await store.replaceRoutes(table, ifMatch: routePlan.observedGeneration)
            return ("generation \(routePlan.observedGeneration)", "generation \(written.generation)")
        }
    }

    private func runContainerAction(_ action: PlannedAction, plan: Plan, builtImages: [String: String],
                                    buildResults: [ActionResult]) async -> ActionResult {
        if let failedDependency = action.dependsOn.first(where: { dep in
            buildResults.contains { $0.address == dep && $0.outcome != .succeeded }
        }) {
            let result = ActionResult(address: action.address, kind: action.kind,
                                      outcome: .skipped("\(failedDependency) failed; the current container keeps running"),
                                      beforeHash: action.before?.specHash, afterHash: nil, durationSeconds: 0)
            await finish(result)
            return result
        }
        return await run(action) { () async throws -> (String?, String?) in
            switch action.kind {
            case .delete:
                guard let id = action.before?.containerID else { throw ApplyFailure("no container to delete") }
                try await self.engine.stop(id, timeoutSeconds: self.stopTimeoutSeconds)
                try await self.engine.remove(id)
                return (action.before?.specHash, nil)
            case .start:
                guard let id = action.before?.containerID else { throw ApplyFailure("no container to start") }
                try await self.engine.start(id)
                return (action.before?.specHash, action.before?.specHash)
            case .create, .replace:
                let name = String(action.address.dropFirst("server.".count))
                guard let server = plan.desired.servers.first(where: { $0.name == name }) else {
                    throw ApplyFailure("server \(name) is not in the plan's desired state")
                }
                let recipe = try self.recipe(for: server, plan: plan, builtImages: builtImages)
                let containerName = Planner.containerName(instance: plan.instance, server: name)
                if action.kind == .create {
                    let id = try await self.engine.create(name: containerName, recipe)
                    try await self.engine.start(id)
                } else {
                    try await self.replace(action.before?.containerID, with: recipe, name: containerName)
                }
                return (action.before?.specHash, recipe.labels[OwnershipLabel.specHash])
            case .build, .noop, .routes:
                return (nil, nil)
            }
        }
    }

    /// The new container is created before the old one is touched; if it cannot start, the old
    /// one is started again and stays.
    private func replace(_ oldID: String?, with recipe: ContainerRecipe, name: String) async throws {
        let hash = recipe.labels[OwnershipLabel.specHash] ?? ""
        // The run's id is part of the name: an apply killed mid-replace leaves its temporary
        // container behind, and a later replace to the same spec must not collide with it (the
        // planner deletes it as a duplicate in that same run).
        let run = runID.isEmpty ? "" : "-" + runID.prefix(8)
        let temporary = "\(name)-next-\(hash.dropFirst("sha256:".count).prefix(8))\(run)"
        let newID = try await engine.create(name: temporary, recipe)
        if let oldID { try await engine.stop(oldID, timeoutSeconds: stopTimeoutSeconds) }
        do {
            try await engine.start(newID)
        } catch {
            try? await engine.remove(newID)
            if let oldID { try? await engine.start(oldID) }
            throw error
        }
        if let oldID { try await engine.remove(oldID) }
        try await engine.rename(newID, to: name)
    }

    private func recipe(for server: DesiredServer, plan: Plan, builtImages: [String: String]) throws -> ContainerRecipe {
        let image: String
        switch server.image {
        case .resolved(let id): image = id
        case .build(let project):
            guard let id = builtImages[project] else { throw ApplyFailure("image for project \(project) was not built") }
            image = id
        }
        let spec = server.spec(withImage: image)
        var values: [String: String] = [:]
        for (env, secret) in server.secretNames {
            guard let bytes = try secrets.value(secret), let text = String(validating: bytes, as: UTF8.self) else {
                throw ApplyFailure("secret \"\(secret)\" is missing or not UTF-8")
            }
            guard try secrets.version(secret) == spec.secrets[env] else {
                throw ApplyFailure("secret \"\(secret)\" changed since the plan was made; plan again")
            }
            values[env] = text
        }
        return ContainerRecipe(spec: spec, server: server.name, instance: plan.instance, revision: plan.revision, secretValues: values)
    }

    private func build(project: String, plan: Plan, archives: [String: ContextArchive]) async throws -> String {
        guard let image = plan.desired.images.first(where: { $0.project == project }),
              let archive = archives[project] else { throw ApplyFailure("no build context for project \(project)") }
        guard archive.contextHash == image.contextHash else {
            throw ApplyFailure("the files of project \(project) changed since the plan was made; plan again")
        }
        let address = "image.\(project)"
        let request = BuildRequest(context: archive.bytes, tag: image.tag, dockerfile: image.dockerfile,
                                   buildArgs: image.buildArgs, target: image.target,
                                   labels: [OwnershipLabel.managed: "true", OwnershipLabel.project: project,
                                            OwnershipLabel.contextHash: image.contextHash])
        let onEvent = self.onEvent
        return try await engine.build(request) { line in onEvent(.buildLog(address: address, line: line)) }
    }

    /// Runs one action, timing it and turning any error into a failed outcome.
    private func run(_ action: PlannedAction, _ body: () async throws -> (String?, String?)) async -> ActionResult {
        onEvent(.started(address: action.address, kind: action.kind))
        let start = ContinuousClock.now
        let result: ActionResult
        do {
            let (before, after) = try await body()
            result = ActionResult(address: action.address, kind: action.kind, outcome: .succeeded,
                                  beforeHash: before, afterHash: after, durationSeconds: seconds(since: start))
        } catch {
            result = ActionResult(address: action.address, kind: action.kind, outcome: .failed(String(describing: error)),
                                  beforeHash: action.before?.specHash, afterHash: nil, durationSeconds: seconds(since: start))
        }
        await finish(result)
        return result
    }

    private func finish(_ result: ActionResult) async {
        onEvent(.finished(result))
        do {
            try await recorder?.record(action: result, runID: runID)
        } catch {
            onEvent(.recordFailed(address: result.address, reason: String(describing: error)))
        }
    }

    private func forEachBounded(_ actions: [PlannedAction], _ body: @escaping @Sendable (PlannedAction) async -> ActionResult) async -> [ActionResult] {
        await withTaskGroup(of: (Int, ActionResult).self) { group in
            var results = [ActionResult?](repeating: nil, count: actions.count)
            var next = 0
            for _ in 0..<min(concurrency, actions.count) {
                let i = next
                group.addTask { (i, await body(actions[i])) }
                next += 1
            }
            while let (i, result) = await group.next() {
                results[i] = result
                if next < actions.count {
                    let j = next
                    group.addTask { (j, await body(actions[j])) }
                    next += 1
                }
            }
            return results.map { $0! }
        }
    }
}

struct ApplyFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func seconds(since start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}
