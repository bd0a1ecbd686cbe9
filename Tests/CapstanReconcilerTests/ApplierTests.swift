@testable import CapstanCore
@testable import CapstanReconciler
import Foundation
import Synchronization
import Testing

/// The applier's ordering and failure rules on an in-memory engine; the same flows run against
/// the real engine in Tests/e2e.
struct ApplierTests {
    static func spec(image: String = "") -> RuntimeSpec {
        RuntimeSpec.decode(canonicalJSON: """
            {"capAdd":[],"command":[],"env":{"LEVEL":"info"},"image":"\(image)","memoryBytes":268435456,"network":"none",
             "noNewPrivileges":true,"pids":128,"readOnlyRootFilesystem":true,"secrets":{},"transport":"stdio"}
            """)!
    }
    final class FakeEngine: ContainerEngine {
        let calls = Mutex<[String]>([])
        let failBuild: Bool
        let failStartOf: String?

        init(failBuild: Bool = false, failStartOf: String? = nil) {
            self.failBuild = failBuild
            self.failStartOf = failStartOf
        }

        private func log(_ call: String) { calls.withLock { $0.append(call) } }

        func ownedContainers(instance: String) async throws -> [EngineContainer] { [] }
        func builtImages() async throws -> [String: String] { [:] }
        func imageID(_ reference: String) async throws -> String? { nil }
        func build(_ request: BuildRequest, log line: @escaping @Sendable (String) -> Void) async throws -> String {
            log("build \(request.tag)")
            line("Step 1/1 : RUN exit 3")
            if failBuild { throw ApplyFailure("The command '/bin/sh -c exit 3' returned a non-zero code: 3") }
            return "sha256:new"
        }
        func create(name: String, _ container: ContainerRecipe) async throws -> String {
            log("create \(name)")
            return "id-" + name
        }
        func start(_ id: String) async throws {
            log("start \(id)")
            if let failStartOf, id.contains(failStartOf) { throw ApplyFailure("start failed") }
        }
        func stop(_ id: String, timeoutSeconds: Int) async throws { log("stop \(id)") }
        func remove(_ id: String) async throws { log("remove \(id)") }
        func rename(_ id: String, to name: String) async throws { log("rename \(id) \(name)") }
    }

    private func secrets() throws -> SecretStore {
        try SecretStore(directory: nil, stateDirectory: FileManager.default.temporaryDirectory.path + "/capstan-applier-\(UUID())")
    }

    private func plan(image: DesiredServer.ImageSource, existing: Bool) -> (Plan, [String: ContextArchive]) {
        let server = DesiredServer(name: "web", image: image, spec: Self.spec(), secretNames: [:])
        let archive = ContextArchive(bytes: [0], contextHash: "sha256:" + String(repeating: "1", count: 64))
        // An image to build only for a server built from a Project.
        let images = image != .build(project: "web") ? [] : [DesiredImage(project: "web", contextHash: archive.contextHash, context: "p", dockerfile: "Dockerfile",
                                   buildArgs: [:], target: nil)]
        let desired = DesiredState(instance: "capstan", revision: "r", images: images, servers: [server])
        var containers: [ObservedContainer] = []
        if existing {
            let old = Self.spec(image: "sha256:old")
            containers = [ObservedContainer(id: "oldweb", name: "capstan-web", server: "web", state: .running,
                                            specHash: old.hash, spec: old, revision: "r0")]
        }
        return (Planner.plan(desired: desired, observed: ObservedState(containers: containers, imagesByTag: [:])), ["web": archive])
    }

    @Test func buildsRunBeforeContainersAndFeedThemTheImage() async throws {
        let engine = FakeEngine()
        let (plan, archives) = plan(image: .build(project: "web"), existing: false)
        let report = await Applier(engine: engine, secrets: try secrets()).apply(plan, archives: archives)
        #expect(report.succeeded)
        #expect(engine.calls.withLock { $0 } == ["build capstan/web:111111111111", "create capstan-web", "start id-capstan-web"])
    }

    @Test func failedBuildSkipsItsServerAndLeavesTheOldContainerAlone() async throws {
        let engine = FakeEngine(failBuild: true)
        let (plan, archives) = plan(image: .build(project: "web"), existing: true)
        let report = await Applier(engine: engine, secrets: try secrets()).apply(plan, archives: archives)
        #expect(!report.succeeded)
        #expect(report.results.map(\.outcome.word) == ["failed", "skipped"])
        #expect(report.results[0].outcome.message?.contains("non-zero code: 3") == true)
        #expect(engine.calls.withLock { $0 } == ["build capstan/web:111111111111"])
    }

    @Test func replaceCreatesTheNewContainerFirstAndSwapsNames() async throws {
        let engine = FakeEngine()
        let (plan, archives) = plan(image: .resolved(id: "sha256:new"), existing: true)
        let report = await Applier(engine: engine, secrets: try secrets()).apply(plan, archives: archives)
        #expect(report.succeeded)
        let calls = engine.calls.withLock { $0 }
        #expect(calls.count == 5)
        #expect(calls[0].hasPrefix("create capstan-web-next-"))
        #expect(calls[1] == "stop oldweb")
        #expect(calls[2].hasPrefix("start id-capstan-web-next-"))
        #expect(calls[3] == "remove oldweb")
        #expect(calls[4].hasPrefix("rename id-capstan-web-next-") && calls[4].hasSuffix(" capstan-web"))
    }

    @Test func replaceWhoseNewContainerCannotStartRestartsTheOldOne() async throws {
        let engine = FakeEngine(failStartOf: "next")
        let (plan, archives) = plan(image: .resolved(id: "sha256:new"), existing: true)
        let report = await Applier(engine: engine, secrets: try secrets()).apply(plan, archives: archives)
        #expect(!report.succeeded)
        let calls = engine.calls.withLock { $0 }
        #expect(Array(calls.suffix(2)) == ["remove \(calls[0].replacingOccurrences(of: "create ", with: "id-"))", "start oldweb"])
        #expect(!calls.contains("remove oldweb"))
    }

    @Test func recipeIsHardenedAndLabelsCarryNoSecretValue() {
        var spec = Self.spec(image: "sha256:x")
        spec.secrets = ["API_KEY": "hmac-sha256:0123"]
        let recipe = ContainerRecipe(spec: spec, server: "web", instance: "prod", revision: "abc",
                                     secretValues: ["API_KEY": "canary-value"])
        #expect(recipe.capDrop == ["ALL"] && recipe.readOnlyRootFilesystem && recipe.securityOpt == ["no-new-privileges:true"])
        #expect(recipe.networkMode == "none" && recipe.pidsLimit == 128 && recipe.memoryBytes == 256 << 20)
        #expect(recipe.env.contains("API_KEY=canary-value"))
        #expect(!recipe.labels.values.contains { $0.contains("canary-value") })
        #expect(recipe.labels["capstan.instance"] == "prod" && recipe.labels["capstan.name"] == "web")
        #expect(Observer.observed(EngineContainer(id: "1", name: "prod-web", state: "running", labels: recipe.labels))?.spec == spec)
    }
}
