@testable import CapstanCore
import Testing

/// The pure planner on values: every action kind, its reason, and the order of actions.
struct PlannerTests {
    static func spec(env: [String: String] = ["LOG_LEVEL": "info"], image: String = "") -> RuntimeSpec {
        var s = RuntimeSpec(server: try! makeServer(), image: image, secretVersions: [:])
        s.env = env
        return s
    }

    static func makeServer() throws -> Server {
        let yaml = """
            apiVersion: capstan/v1
            kind: Server
            metadata: {name: s}
            spec: {image: "x:1"}
            """
        let tree = MemoryTree(files: ["s.yaml": Array(yaml.utf8)])
        let result = ManifestLoader.load(tree)
        return result.manifests.servers[0]
    }

    static func server(_ name: String, image: DesiredServer.ImageSource = .resolved(id: "sha256:aaa"),
                       env: [String: String] = ["LOG_LEVEL": "info"]) -> DesiredServer {
        DesiredServer(name: name, image: image, spec: spec(env: env), secretNames: [:])
    }

    static func container(_ server: String, _ desired: DesiredServer, state: ObservedContainer.State = .running,
                          id: String = "c0ffee", name: String? = nil) -> ObservedContainer {
        let image: String
        if case .resolved(let i) = desired.image { image = i } else { image = "sha256:old" }
        let spec = desired.spec(withImage: image)
        return ObservedContainer(id: id + server, name: name ?? "capstan-\(server)", server: server, state: state,
                                 specHash: spec.hash, spec: spec, revision: "r1")
    }

    static func desired(_ servers: [DesiredServer], images: [DesiredImage] = []) -> DesiredState {
        DesiredState(instance: "capstan", revision: "r2", images: images, servers: servers)
    }

    @Test func emptyHostCreatesEveryServer() {
        let plan = Planner.plan(desired: Self.desired([Self.server("b"), Self.server("a")]),
                                observed: ObservedState(containers: [], imagesByTag: [:]))
        #expect(plan.actions.map(\.address) == ["server.a", "server.b"])
        #expect(plan.actions.allSatisfy { $0.kind == .create && $0.reason == "container missing" })
        #expect(PlanRenderer.summary(plan) == "Plan: 0 to build, 2 to create, 0 to replace, 0 to start, 0 to delete.")
    }

    @Test func matchingRunningContainerIsANoop() {
        let s = Self.server("a")
        let plan = Planner.plan(desired: Self.desired([s]), observed: ObservedState(containers: [Self.container("a", s)], imagesByTag: [:]))
        #expect(plan.actions.map(\.kind) == [.noop])
        #expect(!plan.hasChanges)
        #expect(PlanRenderer.text(plan).contains("No changes."))
    }

    @Test func changedEnvReplacesWithAFieldLevelReason() {
        let old = Self.server("a")
        let new = Self.server("a", env: ["LOG_LEVEL": "debug"])
        let plan = Planner.plan(desired: Self.desired([new]), observed: ObservedState(containers: [Self.container("a", old)], imagesByTag: [:]))
        #expect(plan.actions.count == 1)
        #expect(plan.actions[0].kind == .replace)
        #expect(plan.actions[0].reason == "env LOG_LEVEL changed")
        #expect(plan.actions[0].changes == [FieldChange(field: "env LOG_LEVEL", before: "info", after: "debug")])
        let text = PlanRenderer.text(plan)
        #expect(text.contains("-/+ server.a  replace (env LOG_LEVEL changed)"))
        #expect(text.contains("~ env LOG_LEVEL: \"info\" -> \"debug\""))
    }

    @Test func stoppedContainerIsStartedAndDeadOneReplaced() {
        let a = Self.server("a"), b = Self.server("b")
        let plan = Planner.plan(desired: Self.desired([a, b]), observed: ObservedState(
            containers: [Self.container("a", a, state: .exited), Self.container("b", b, state: .dead)], imagesByTag: [:]))
        #expect(plan.actions.map(\.kind) == [.start, .replace])
        #expect(plan.actions[0].reason == "container stopped")
        #expect(plan.actions[1].reason == "container is dead")
    }

    @Test func serverNoLongerInTheRepositoryIsDeleted() {
        let a = Self.server("a"), gone = Self.server("gone")
        let plan = Planner.plan(desired: Self.desired([a]), observed: ObservedState(
            containers: [Self.container("a", a), Self.container("gone", gone)], imagesByTag: [:]))
        #expect(plan.changes.map(\.address) == ["server.gone"])
        #expect(plan.changes[0].kind == .delete && plan.changes[0].reason == "no longer in the repository")
    }

    @Test func strayDuplicateIsDeletedAndTheCanonicalOneKept() {
        let a = Self.server("a")
        let plan = Planner.plan(desired: Self.desired([a]), observed: ObservedState(containers: [
            Self.container("a", a, id: "dup", name: "capstan-a-next-1"), Self.container("a", a, id: "main"),
        ], imagesByTag: [:]))
        #expect(plan.changes.map(\.kind) == [.delete])
        #expect(plan.changes[0].address == "container.dupa")
        #expect(plan.actions.first { $0.address == "server.a" }?.kind == .noop)
    }

    @Test func missingImageIsBuiltFirstAndItsServerReplaced() {
        let image = DesiredImage(project: "web", contextHash: "sha256:" + String(repeating: "ab", count: 32),
                                 context: "projects/web", dockerfile: "Dockerfile", buildArgs: [:], target: nil)
        let built = Self.server("web", image: .build(project: "web"))
        let running = Self.server("web", image: .resolved(id: "sha256:old"))
        let plan = Planner.plan(desired: Self.desired([built], images: [image]), observed: ObservedState(
            containers: [Self.container("web", running)], imagesByTag: ["capstan/web:0123456789ab": "sha256:old"]))
        #expect(plan.actions.map(\.address) == ["image.web", "server.web"])
        #expect(plan.actions[0].kind == .build && plan.actions[0].reason == "project files changed")
        #expect(plan.actions[0].after?.image == "capstan/web:abababababab")
        #expect(plan.actions[1].kind == .replace && plan.actions[1].dependsOn == ["image.web"])
        #expect(plan.actions[1].changes.first?.field == "image")
    }

    @Test func imageWithItsTagPresentIsNotRebuilt() {
        let image = DesiredImage(project: "web", contextHash: "sha256:" + String(repeating: "cd", count: 32),
                                 context: "p", dockerfile: "Dockerfile", buildArgs: [:], target: nil)
        let plan = Planner.plan(desired: Self.desired([], images: [image]),
                                observed: ObservedState(containers: [], imagesByTag: [image.tag: "sha256:id"]))
        #expect(plan.actions.map(\.kind) == [.noop])
    }

    @Test func secretChangesAreShownWithoutTheirVersions() {
        var old = Self.spec()
        old.secrets = ["API_KEY": "v1-secret-version"]
        var new = old
        new.secrets = ["API_KEY": "v2-secret-version"]
        let changes = new.changes(from: old)
        #expect(changes == [FieldChange(field: "secret API_KEY", before: "(hidden)", after: "(hidden)")])
    }

    @Test func specHashIsStableAndSensitiveToEveryRuntimeField() {
        let base = Self.spec(image: "sha256:1")
        #expect(base.hash == Self.spec(image: "sha256:1").hash)
        var other = base
        other.pids += 1
        #expect(other.hash != base.hash)
        other = base
        other.image = "sha256:2"
        #expect(other.hash != base.hash)
        #expect(RuntimeSpec.decode(canonicalJSON: base.canonicalJSON) == base)
    }

    @Test func fingerprintChangesWhenTheHostChanges() {
        let a = Self.server("a")
        let one = ObservedState(containers: [Self.container("a", a)], imagesByTag: [:])
        let stopped = ObservedState(containers: [Self.container("a", a, state: .exited)], imagesByTag: [:])
        #expect(one.fingerprint != stopped.fingerprint)
        #expect(one.fingerprint == ObservedState(containers: [Self.container("a", a)], imagesByTag: [:]).fingerprint)
    }

    @Test func planRoundTripsThroughJSON() throws {
        let plan = Planner.plan(desired: Self.desired([Self.server("a")]), observed: ObservedState(containers: [], imagesByTag: [:]))
        let decoded = try #require(PlanRenderer.decode(json: Array(PlanRenderer.json(plan).utf8)))
        #expect(decoded.actions == plan.actions)
        #expect(decoded.observedFingerprint == plan.observedFingerprint)
    }
}
