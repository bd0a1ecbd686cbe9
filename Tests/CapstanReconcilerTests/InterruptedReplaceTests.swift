@testable import CapstanCore
@testable import CapstanReconciler
import Foundation
import Synchronization
import Testing

/// A replace killed half-way leaves its temporary container; the next run's replace to the same
/// spec must not collide with it (the engine refuses a name in use with 409).
struct InterruptedReplaceTests {
    final class NameCheckingEngine: ContainerEngine {
        let names: Mutex<Set<String>>
        let calls = Mutex<[String]>([])
        init(existing: Set<String>) { names = Mutex(existing) }

        func ownedContainers(instance: String) async throws -> [EngineContainer] { [] }
        func builtImages() async throws -> [String: String] { [:] }
        func imageID(_ reference: String) async throws -> String? { nil }
        func build(_ request: BuildRequest, log: @escaping @Sendable (String) -> Void) async throws -> String { "sha256:b" }
        func create(name: String, _ container: ContainerRecipe) async throws -> String {
            let taken = names.withLock { !$0.insert(name).inserted }
            if taken { throw ApplyFailure("Conflict. The container name \"/\(name)\" is already in use") }
            calls.withLock { $0.append("create \(name)") }
            return name
        }
        func start(_ id: String) async throws {}
        func stop(_ id: String, timeoutSeconds: Int) async throws {}
        func remove(_ id: String) async throws { _ = names.withLock { $0.remove(id) } }
        func rename(_ id: String, to name: String) async throws {
            names.withLock { _ = $0.remove(id); $0.insert(name) }
        }
    }

    @Test func aServerLeftUnderItsTemporaryNameIsReplacedUnderItsOwnName() async throws {
        let spec = ApplierTests.spec(image: "sha256:new")
        let server = DesiredServer(name: "web", image: .resolved(id: "sha256:new"), spec: ApplierTests.spec(), secretNames: [:])
        let desired = DesiredState(instance: "capstan", revision: "r", images: [], servers: [server])
        let leftover = "capstan-web-next-\(spec.hash.dropFirst("sha256:".count).prefix(8))-1a2b3c4d"
        let observed = ObservedState(containers: [
            ObservedContainer(id: leftover, name: leftover, server: "web", state: .running, specHash: spec.hash, spec: spec, revision: "r"),
        ], imagesByTag: [:])
        let plan = Planner.plan(desired: desired, observed: observed)
        #expect(plan.actions.map(\.kind) == [.replace])
        #expect(plan.actions.first?.reason == "container is named \(leftover), not capstan-web (an interrupted replace)")
        let engine = NameCheckingEngine(existing: [leftover])
        let secrets = try SecretStore(directory: nil, stateDirectory: FileManager.default.temporaryDirectory.path + "/capstan-replace-\(UUID())")
        let report = await Applier(engine: engine, secrets: secrets, runID: "9f8e7d6c-0000").apply(plan, archives: [:])
        #expect(report.succeeded, "\(report.failed.map { $0.outcome.message ?? "" })")
        #expect(engine.names.withLock { $0 } == ["capstan-web"])
    }

    @Test func aReplaceDoesNotCollideWithTheTemporaryContainerOfAKilledRun() async throws {
        let new = ApplierTests.spec(image: "sha256:new")
        let old = ApplierTests.spec(image: "sha256:old")
        let server = DesiredServer(name: "web", image: .resolved(id: "sha256:new"), spec: ApplierTests.spec(), secretNames: [:])
        let desired = DesiredState(instance: "capstan", revision: "r", images: [], servers: [server])
        // Named as a killed run named it before run ids were part of the name: the same name the
        // next replace to this spec would have taken.
        let leftover = "capstan-web-next-\(new.hash.dropFirst("sha256:".count).prefix(8))"
        let observed = ObservedState(containers: [
            ObservedContainer(id: "capstan-web", name: "capstan-web", server: "web", state: .exited, specHash: old.hash, spec: old, revision: "r0"),
            ObservedContainer(id: leftover, name: leftover, server: "web", state: .created, specHash: new.hash, spec: new, revision: "r"),
        ], imagesByTag: [:])
        let plan = Planner.plan(desired: desired, observed: observed)
        let engine = NameCheckingEngine(existing: ["capstan-web", leftover])
        let secrets = try SecretStore(directory: nil, stateDirectory: FileManager.default.temporaryDirectory.path + "/capstan-replace-\(UUID())")
        let report = await Applier(engine: engine, secrets: secrets, runID: "9f8e7d6c-0000").apply(plan, archives: [:])
        #expect(report.succeeded, "\(report.failed.map { $0.outcome.message ?? "" })")
        #expect(engine.names.withLock { $0 } == ["capstan-web"], "the leftover is deleted as a duplicate in the same run")
        #expect(engine.calls.withLock { $0 } == ["create \(leftover)-9f8e7d6c"])
    }
}
