import CapstanCore
import Foundation
import Testing

/// Every app's snippet and merge, pinned by the golden files of Tests/Fixtures/client-configs
/// (the CLI tests check the same files through the binary). CAPSTAN_UPDATE_GOLDEN=1 rewrites
/// them from the current output, for review in the diff.
struct ClientConfigGoldenTests {
    struct Cases: Decodable {
        struct Snippet: Decodable, CustomTestStringConvertible {
            var golden: String
            var app: String
            var token: String
            var command: Bool?
            var testDescription: String { golden }
        }

        struct Merge: Decodable, CustomTestStringConvertible {
            var app: String
            var token: String
            var before: String
            var after: String
            var testDescription: String { app }
        }

        var client: String
        var url: String
        var token: String
        var tokenFile: String
        var tokenEnv: String
        var capstanCommand: String
        var snippets: [Snippet]
        var merges: [Merge]
    }

    static let directory = Fixtures.repositoryRoot.appendingPathComponent("Tests/Fixtures/client-configs")
    static let cases: Cases = {
        let data = try! Data(contentsOf: directory.appendingPathComponent("cases.json"))
        return try! JSONDecoder().decode(Cases.self, from: data)
    }()

    static func connection(app: String, token: String) -> ClientConnection {
        let c = cases
        var source = ClientTokenSource()
        switch token {
        case "env": source.environment = c.tokenEnv
        case "file": source.file = (c.tokenFile, c.token)
        default: break
        }
        return ClientConnection(name: c.client, app: ClientApp(rawValue: app)!, url: c.url, token: source,
                                capstanCommand: c.capstanCommand)
    }

    static func golden(_ relative: String) -> [UInt8] {
        (try? Array(Data(contentsOf: directory.appendingPathComponent(relative)))) ?? []
    }

    /// Compares with the golden file, or rewrites it when asked to.
    static func expect(_ actual: [UInt8], matches relative: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        if ProcessInfo.processInfo.environment["CAPSTAN_UPDATE_GOLDEN"] == "1" {
            try! Data(actual).write(to: directory.appendingPathComponent(relative))
            return
        }
        #expect(String(decoding: actual, as: UTF8.self) == String(decoding: golden(relative), as: UTF8.self),
                "differs from \(relative)", sourceLocation: sourceLocation)
    }

    @Test(arguments: cases.snippets)
    func snippetMatchesGolden(_ snippet: Cases.Snippet) throws {
        let c = Self.connection(app: snippet.app, token: snippet.token)
        let text = snippet.command == true ? try ClientSnippet.command(c) : try ClientSnippet.file(c)
        Self.expect(Array(text.utf8), matches: snippet.golden)
    }

    @Test(arguments: cases.merges)
    func mergeIntoAFileWithOtherServersMatchesGolden(_ merge: Cases.Merge) throws {
        let c = Self.connection(app: merge.app, token: merge.token)
        let before = Self.golden(merge.before)
        guard case .changed(let after, let replaced) = try ClientConfigMerge.connect(before, c) else {
            Issue.record("connect changed nothing")
            return
        }
        #expect(!replaced)
        Self.expect(after, matches: merge.after)
    }

    @Test(arguments: cases.merges)
    func secondConnectChangesNothing(_ merge: Cases.Merge) throws {
        let c = Self.connection(app: merge.app, token: merge.token)
        #expect(try ClientConfigMerge.connect(Self.golden(merge.after), c) == .unchanged)
    }

    @Test(arguments: cases.merges)
    func disconnectRestoresTheBackupWhenNothingElseChanged(_ merge: Cases.Merge) throws {
        let outcome = try ClientConfigMerge.disconnect(Self.golden(merge.after), name: Self.cases.client,
                                                       app: ClientApp(rawValue: merge.app)!, backup: Self.golden(merge.before))
        #expect(outcome == .restoreBackup)
    }

    @Test(arguments: cases.merges)
    func disconnectWithoutBackupRemovesExactlyWhatConnectAdded(_ merge: Cases.Merge) throws {
        let outcome = try ClientConfigMerge.disconnect(Self.golden(merge.after), name: Self.cases.client,
                                                       app: ClientApp(rawValue: merge.app)!, backup: nil)
        guard case .changed(let bytes) = outcome else {
            Issue.record("expected the file without the entry, got \(outcome)")
            return
        }
        #expect(String(decoding: bytes, as: UTF8.self) == String(decoding: Self.golden(merge.before), as: UTF8.self))
    }

    @Test(arguments: cases.merges)
    func disconnectKeepsWhatTheUserAddedMeanwhile(_ merge: Cases.Merge) throws {
        // The user edits another part of the file after connect: the backup is stale, so only
        // the entry goes and the user's edit stays.
        let app = ClientApp(rawValue: merge.app)!
        let after = String(decoding: Self.golden(merge.after), as: UTF8.self)
        let edited = app == .codex
            ? "# edited by the user\n" + after
            : String(after.dropLast(2)) + ",\n  \"editedByTheUser\": true\n}\n"
        let outcome = try ClientConfigMerge.disconnect(Array(edited.utf8), name: Self.cases.client, app: app,
                                                       backup: Self.golden(merge.before))
        guard case .changed(let bytes) = outcome else {
            Issue.record("expected the file without the entry, got \(outcome)")
            return
        }
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(!text.contains("127.0.0.1:8750"))
        #expect(text.contains(app == .codex ? "# edited by the user" : "editedByTheUser"))
    }
}
