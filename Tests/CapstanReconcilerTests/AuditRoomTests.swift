import CapstanAudit
import CapstanCore
@testable import CapstanReconciler
import Foundation
import Synchronization
import Testing

/// The controller applies nothing that the audit store cannot record: a full disk under the
/// store stops it before it acts, and it resumes when there is room again.
struct AuditRoomTests {
    @Test func refusesBelowTheFloorAndSaysWhyInWords() {
        #expect(AuditRoom.refusal(freeBytes: 1 << 20, floor: 1 << 20, storePath: "/s/audit.db") == nil)
        #expect(AuditRoom.refusal(freeBytes: 50 << 30, storePath: "/s/audit.db") == nil)
        #expect(AuditRoom.refusal(freeBytes: nil, storePath: "/s/audit.db") == nil, "an unknown amount does not stop the controller")
        let refusal = AuditRoom.refusal(freeBytes: 12 << 10, floor: 1 << 20, storePath: "/s/audit.db")
        #expect(refusal == "nothing was applied: the filesystem of the audit store /s/audit.db has 12 KiB free, "
            + "and Capstan keeps 1 MiB free so that every change it makes is recorded; free some space and the next sync applies")
        #expect(AuditRoom.refusal(freeBytes: 0, floor: 1 << 20, storePath: "/s/audit.db")?.contains("has 0 bytes free") == true)
    }

    @Test func freeBytesMeasuresTheFilesystemOfARealPath() {
        let free = AuditRoom.freeBytes(atPath: FileManager.default.temporaryDirectory.path)
        #expect((free ?? 0) > 0)
        #expect(AuditRoom.freeBytes(atPath: "/no/such/directory/\(UUID())") == nil)
    }

    @Test func aFullAuditDiskAppliesNothingAndTheControllerResumesWhenThereIsRoom() async throws {
        let dir = FileManager.default.temporaryDirectory.path + "/capstan-auditroom-\(UUID())"
        let repo = dir + "/repo"
        try FileManager.default.createDirectory(atPath: repo, withIntermediateDirectories: true)
        try "instance: roomtest\n".write(toFile: repo + "/capstan.yaml", atomically: true, encoding: .utf8)
        try """
            apiVersion: capstan/v1
            kind: Server
            metadata: {name: web}
            spec: {image: "example/web:1"}
            """.write(toFile: repo + "/web.yaml", atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: dir) }

        let engine = RecordingEngine()
        let disk = Disk()
        let store = try AuditStore(path: dir + "/state/audit.db")
        let recorder = AuditRecorder(store: store, floor: 1 << 20, freeBytes: { _ in disk.free.withLock { $0 } })
        let secrets = try SecretStore(directory: nil, stateDirectory: dir + "/state")
        let controller = Controller(
            config: .init(repository: repo, branch: "main", instance: nil),
            fetch: { ManifestSource(tree: DirectoryTree(root: repo), revision: "r1", description: PlanSource(kind: .directory, location: repo)) },
            events: { _ in AsyncThrowingStream { _ in } },
            pipeline: PlanPipeline(engine: engine, secrets: secrets, instance: nil), engine: engine, secrets: secrets,
            recorder: recorder)

        await controller.reconcile([.poll])
        let refused = await controller.status()
        #expect(engine.created.withLock { $0 } == [], "nothing is applied while the store cannot record it")
        #expect(refused.lastAttempt?.result == "audit_unavailable")
        #expect(refused.lastAttempt?.errors.first?.hasPrefix("nothing was applied: the filesystem of the audit store") == true)
        #expect(refused.lastAppliedRevision == nil)

        disk.free.withLock { $0 = 1 << 30 }
        await controller.reconcile([.poll])
        let resumed = await controller.status()
        #expect(engine.created.withLock { $0 } == ["roomtest-web"])
        #expect(resumed.lastAttempt?.result == "succeeded")
        #expect(resumed.lastAppliedRevision == "r1")
        let kinds = try await store.entries().map(\.record.kind)
        #expect(kinds == [.action, .run], "the run that applied is recorded, the refused one left no row")
        #expect(try await store.verify() == .intact(rows: 2))
    }

    final class Disk: Sendable {
        let free = Mutex<Int64>(0)
    }

    /// Creates and starts containers in memory; the observed state stays empty.
    final class RecordingEngine: ContainerEngine {
        let created = Mutex<[String]>([])

        func ownedContainers(instance: String) async throws -> [EngineContainer] { [] }
        func builtImages() async throws -> [String: String] { [:] }
        func imageID(_ reference: String) async throws -> String? { "sha256:" + String(repeating: "a", count: 64) }
        func build(_ request: BuildRequest, log: @escaping @Sendable (String) -> Void) async throws -> String { "sha256:built" }
        func create(name: String, _ container: ContainerRecipe) async throws -> String {
            created.withLock { $0.append(name) }
            return "id-" + name
        }
        func start(_ id: String) async throws {}
        func stop(_ id: String, timeoutSeconds: Int) async throws {}
        func remove(_ id: String) async throws {}
        func rename(_ id: String, to name: String) async throws {}
    }
}
