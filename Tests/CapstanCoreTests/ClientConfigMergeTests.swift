@testable import CapstanCore
import Testing

/// Merging into and out of configuration files: what stays byte for byte, what is refused.
struct ClientConfigMergeTests {
    static func connection(_ app: ClientApp, env: String? = "CAPSTAN_TOKEN", file: Bool = false) -> ClientConnection {
        ClientConnection(name: "alice", app: app, url: "http://127.0.0.1:8750/mcp",
                         token: ClientTokenSource(environment: env, file: file ? ("/t/alice.token", "capstan_tok") : nil),
                         capstanCommand: "/usr/local/bin/capstan")
    }

    static func text(_ outcome: ClientConfigMerge.ConnectOutcome) -> String? {
        guard case .changed(let bytes, _) = outcome else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func missingFileGetsTheWholeDocumentAndDisconnectRemovesIt() throws {
        let c = Self.connection(.cursor)
        guard case .changed(let bytes, _) = try ClientConfigMerge.connect(nil, c) else {
            Issue.record("no file written")
            return
        }
        #expect(String(decoding: bytes, as: UTF8.self) == (try ClientSnippet.file(c)))
        #expect(try ClientConfigMerge.disconnect(bytes, name: "alice", app: .cursor, backup: nil) == .removeFile)
    }

    @Test func emptyFileIsTreatedAsAnEmptyConfiguration() throws {
        let text = Self.text(try ClientConfigMerge.connect(Array("\n".utf8), Self.connection(.claudeCode)))
        #expect(text?.hasPrefix("{\n  \"mcpServers\": {\n    \"alice\": {") == true)
    }

    @Test func changedEntryIsReplacedInPlaceAndTheRestStays() throws {
        let before = """
            {"mcpServers": {
              "alice": {"url": "http://127.0.0.1:9999/mcp"},
              "zeta": {"url": "https://z"}
            }, "x": 1}
            """
        let outcome = try ClientConfigMerge.connect(Array(before.utf8), Self.connection(.cursor))
        guard case .changed(let bytes, let replaced) = outcome else {
            Issue.record("nothing changed")
            return
        }
        #expect(replaced)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix("{\"mcpServers\": {\n  \"alice\": {\n    \"url\": \"http://127.0.0.1:8750/mcp\","))
        #expect(text.hasSuffix("  },\n  \"zeta\": {\"url\": \"https://z\"}\n}, \"x\": 1}"))
    }

    @Test func entryWithReorderedMembersCountsAsConnected() throws {
        let before = """
            {"mcpServers": {"alice": {"headers": {"Authorization": "Bearer ${env:CAPSTAN_TOKEN}"}, "url": "http://127.0.0.1:8750/mcp"}}}
            """
        #expect(try ClientConfigMerge.connect(Array(before.utf8), Self.connection(.cursor)) == .unchanged)
    }

    @Test func removingTheFirstOfSeveralEntriesKeepsTheOthersAsWritten() throws {
        let file = "{\n  \"mcpServers\": {\n    \"alice\": {\"url\": \"u\"},\n    \"bob\": {\"url\": \"v\"}\n  }\n}\n"
        let outcome = try ClientConfigMerge.disconnect(Array(file.utf8), name: "alice", app: .cursor, backup: nil)
        #expect(outcome == .changed(Array("{\n  \"mcpServers\": {\n    \"bob\": {\"url\": \"v\"}\n  }\n}\n".utf8)))
    }

    @Test func commentsAreRefusedInStrictJSONAndKeptInVSCodeFiles() throws {
        let file = "{\n  // mine\n  \"servers\": {}\n}\n"
        #expect(throws: ClientConfigError.syntax(line: 2, column: 3, message: "comments are not allowed in this file")) {
            try ClientConfigMerge.connect(Array(file.utf8), Self.connection(.cursor))
        }
        let text = Self.text(try ClientConfigMerge.connect(Array(file.utf8), Self.connection(.vscode)))
        #expect(text?.hasPrefix("{\n  // mine\n  \"servers\": {\n    \"alice\": {\n      \"type\": \"http\",") == true)
    }

    @Test func invalidJSONIsRefusedWithItsPosition() {
        #expect(throws: ClientConfigError.syntax(line: 2, column: 10, message: "trailing comma before \"}\"")) {
            try ClientConfigMerge.connect(Array("{\n  \"a\": 1,}".utf8), Self.connection(.claudeCode))
        }
    }

    @Test func serversThatAreNotAnObjectAreRefused() {
        #expect(throws: ClientConfigError.unexpectedShape(path: "mcpServers", expected: "an object")) {
            try ClientConfigMerge.connect(Array("{\"mcpServers\": []}".utf8), Self.connection(.claudeCode))
        }
    }

    @Test func stringsRoundTripThroughTheParser() throws {
        let file = #"{"k": "quote \" backslash \\ tab \t unicode \u00e9 \ud83d\ude00 é"}"#
        let node = try #require(try ConfigJSONParser.parse(Array(file.utf8), allowComments: false))
        #expect(node.value["k"] == .string("quote \" backslash \\ tab \t unicode é 😀 é"))
        #expect(ConfigJSON.quoted("a\"b\\c\nd\u{1}") == #""a\"b\\c\nd\u0001""#)
    }

    @Test func vscodePromptsForTheTokenAndDisconnectRemovesThePrompt() throws {
        let c = Self.connection(.vscode, env: nil)
        guard case .changed(let bytes, _) = try ClientConfigMerge.connect(Array("{\"servers\": {}}\n".utf8), c) else {
            Issue.record("nothing changed")
            return
        }
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("\"Authorization\": \"Bearer ${input:capstan-alice-token}\""))
        #expect(text.contains("\"id\": \"capstan-alice-token\""))
        guard case .changed(let removed) = try ClientConfigMerge.disconnect(bytes, name: "alice", app: .vscode, backup: nil) else {
            Issue.record("nothing removed")
            return
        }
        #expect(!String(decoding: removed, as: UTF8.self).contains("capstan-alice-token"))
    }

    // MARK: TOML

    @Test func codexTableInTheMiddleIsReplacedAndItsSubtablesGoWithIt() throws {
        let before = """
            [mcp_servers.alice]
            url = "http://old/mcp"

            [mcp_servers.alice.env_http_headers]
            X = "Y"

            # the next one
            [mcp_servers.other]
            url = "https://o"

            """
        let text = Self.text(try ClientConfigMerge.connect(Array(before.utf8), Self.connection(.codex)))
        #expect(text == """
            [mcp_servers.alice]
            url = "http://127.0.0.1:8750/mcp"
            bearer_token_env_var = "CAPSTAN_TOKEN"

            # the next one
            [mcp_servers.other]
            url = "https://o"

            """)
    }

    @Test func codexTableInsideAMultiLineStringIsNotATable() throws {
        let before = "prompt = \"\"\"\n[mcp_servers.alice]\nurl = \"x\"\n\"\"\"\n"
        let text = Self.text(try ClientConfigMerge.connect(Array(before.utf8), Self.connection(.codex)))
        #expect(text == before + "\n[mcp_servers.alice]\nurl = \"http://127.0.0.1:8750/mcp\"\nbearer_token_env_var = \"CAPSTAN_TOKEN\"\n")
    }

    @Test func codexServerWrittenAsDottedKeysIsLeftAlone() {
        let before = "[mcp_servers]\nalice.url = \"http://x\"\n"
        #expect(throws: ClientConfigError.unmanagedTOMLForm(name: "alice", line: 2)) {
            try ClientConfigMerge.connect(Array(before.utf8), Self.connection(.codex))
        }
    }

    @Test func codexWithoutAnEnvironmentVariableGetsAStaticHeader() throws {
        let text = try ClientSnippet.file(Self.connection(.codex, env: nil, file: true))
        #expect(text.contains("http_headers = { \"Authorization\" = \"Bearer capstan_tok\" }"))
    }

    // MARK: credentials

    @Test func environmentReferenceIsPreferredWhereTheAppExpandsOne() throws {
        #expect(try Self.connection(.cursor, file: true).credential() == .environment("CAPSTAN_TOKEN"))
        #expect(try Self.connection(.claudeDesktop, file: true).credential() == .tokenFile("/t/alice.token"))
        #expect(try Self.connection(.claudeCode, env: nil, file: true).credential() == .embedded("capstan_tok"))
        #expect(try Self.connection(.vscode, env: nil).credential() == .prompt(id: "capstan-alice-token"))
    }

    @Test func claudeDesktopNeedsATokenFileAndOthersNeedSomeToken() {
        #expect(throws: ClientConfigError.needsTokenFile(app: .claudeDesktop)) { try Self.connection(.claudeDesktop).credential() }
        #expect(throws: ClientConfigError.needsToken(app: .cursor)) { try Self.connection(.cursor, env: nil).credential() }
        #expect(throws: ClientConfigError.noConfigFile(app: .generic)) {
            try ClientConfigMerge.connect(nil, Self.connection(.generic))
        }
    }

    @Test func shellWordsAreQuotedOnlyWhenNeeded() {
        #expect(ClientSnippet.shellQuoted("http://127.0.0.1:8750/mcp") == "http://127.0.0.1:8750/mcp")
        #expect(ClientSnippet.shellQuoted("it's $HOME") == #"'it'\''s $HOME'"#)
    }
}
