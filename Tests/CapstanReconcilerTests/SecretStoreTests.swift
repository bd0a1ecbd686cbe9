import Foundation
import Testing

@testable import CapstanReconciler

@Suite struct SecretStoreTests {
    static func store(_ files: [String: [UInt8]]) throws -> (SecretStore, String) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("capstan-secrets-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/secrets", withIntermediateDirectories: true)
        for (name, bytes) in files {
            FileManager.default.createFile(atPath: root + "/secrets/" + name, contents: Data(bytes))
        }
        return (try SecretStore(directory: root + "/secrets", stateDirectory: root + "/state"), root)
    }

    @Test func aValueIsReadWithoutItsTrailingNewline() throws {
        let (store, root) = try Self.store(["token": Array("s3cret\n".utf8)])
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(try store.value("token") == Array("s3cret".utf8))
        #expect(try store.value("missing") == nil)
    }

    @Test func aValueWithANulIsRefusedByNameWithoutQuotingIt() throws {
        let (store, root) = try Self.store(["odd": Array("canary-value".utf8) + [0] + Array("tail".utf8)])
        defer { try? FileManager.default.removeItem(atPath: root) }
        do {
            _ = try store.version("odd")
            Issue.record("a value with a NUL was accepted")
        } catch {
            let message = error.description
            #expect(message.contains("secret \"odd\"") && message.contains("NUL"))
            #expect(!message.contains("canary-value"))
        }
    }
}
