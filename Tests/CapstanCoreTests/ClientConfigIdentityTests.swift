@testable import CapstanCore
import Testing

/// Client tokens, the manifest `client add` writes, the in-place hash replacement of
/// `client rotate`, and where each app's configuration lives.
struct ClientConfigIdentityTests {
    /// A deterministic generator, so the token format is checked without randomness.
    struct Counter: RandomNumberGenerator {
        var state: UInt64 = 0
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            return state
        }
    }

    @Test func tokenIsPrefixedHexOf32Bytes() {
        var generator = Counter()
        let token = ClientToken.generate(using: &generator)
        #expect(token.hasPrefix("capstan_"))
        #expect(token.count == 8 + 64)
        #expect(token.dropFirst(8).allSatisfy { $0.isHexDigit && !$0.isUppercase })
        #expect(ClientToken.generate(using: &generator) != token)
    }

    @Test func hashIsWhatTheGatewayComparesWith() {
        // printf %s quickstart-demo-token-replace-me | sha256sum (examples/quickstart/clients.yaml)
        #expect(ClientToken.hash("quickstart-demo-token-replace-me")
                == "sha256:4511b001e047db6699194dfab532b6b1a2646943138600a7f35a5ccf62ffe01e")
    }

    @Test func renderedManifestIsAValidClient() throws {
        let hash = ClientToken.hash("capstan_x")
        let text = ClientManifest.render(name: "alice", app: .vscode, labels: [("team", "yes"), ("example.com/tier", "1.0")],
                                         tokenHash: hash, schema: "../schemas/manifest.schema.json")
        #expect(text.hasPrefix("# yaml-language-server: $schema=../schemas/manifest.schema.json\n"))
        let result = ManifestLoader.load(MemoryTree(files: ["clients/alice.yaml": Array(text.utf8)]))
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let client = try #require(result.manifests.clients.first)
        #expect(client.metadata.name.value == "alice")
        #expect(client.app == .vscode)
        #expect(client.tokenHash == hash)
        #expect(client.metadata.labels.dictionary == ["team": "yes", "example.com/tier": "1.0"])
    }

    @Test(arguments: ["tokenHash: OLD", "tokenHash: \"OLD\"", "tokenHash: 'OLD'", "{app: cursor, tokenHash: OLD}"])
    func rotationReplacesOnlyTheHash(_ spec: String) throws {
        let old = ClientToken.hash("old")
        let new = ClientToken.hash("new")
        let specText = spec.hasPrefix("{") ? "spec: " + spec : "spec:\n  app: cursor  # ünïcödé comment\n  " + spec
        let file = """
            # première ligne — accents move columns, not bytes
            apiVersion: capstan/v1
            kind: Client
            metadata: {name: bob}
            spec: {app: cursor, tokenHash: \(ClientToken.hash("bob"))}
            ---
            apiVersion: capstan/v1
            kind: Client
            metadata:
              name: alice
            \(specText.replacingOccurrences(of: "OLD", with: old))

            """
        let bytes = Array(file.utf8)
        guard case .success(let documents) = YAMLLoader.load(bytes) else {
            Issue.record("fixture does not parse")
            return
        }
        let mark = try #require(ClientManifest.tokenHashMark(in: documents, client: "alice"))
        let updated = try #require(ClientManifest.replacing(old, at: mark, in: bytes, with: new))
        #expect(String(decoding: updated, as: UTF8.self) == file.replacingOccurrences(of: old, with: new))
        #expect(ClientManifest.replacing(ClientToken.hash("other"), at: mark, in: bytes, with: new) == nil)
    }

    @Test func configurationPathsFollowEachAppAndPlatform() throws {
        func path(_ app: ClientApp, _ scope: ClientConfigScope = .user, _ platform: ClientConfigLocation.Platform = .linux,
                  _ env: [String: String] = [:]) throws -> String {
            try ClientConfigLocation.path(app: app, scope: scope, home: "/home/u", projectDirectory: "/src/p",
                                          environment: env, platform: platform)
        }
        #expect(try path(.claudeDesktop) == "/home/u/.config/Claude/claude_desktop_config.json")
        #expect(try path(.claudeDesktop, .user, .macOS) == "/home/u/Library/Application Support/Claude/claude_desktop_config.json")
        #expect(try path(.claudeDesktop, .user, .linux, ["XDG_CONFIG_HOME": "/x"]) == "/x/Claude/claude_desktop_config.json")
        #expect(try path(.claudeCode) == "/home/u/.claude.json")
        #expect(try path(.claudeCode, .project) == "/src/p/.mcp.json")
        #expect(try path(.cursor) == "/home/u/.cursor/mcp.json")
        #expect(try path(.cursor, .project) == "/src/p/.cursor/mcp.json")
        #expect(try path(.vscode) == "/home/u/.config/Code/User/mcp.json")
        #expect(try path(.vscode, .user, .macOS) == "/home/u/Library/Application Support/Code/User/mcp.json")
        #expect(try path(.vscode, .project) == "/src/p/.vscode/mcp.json")
        #expect(try path(.codex) == "/home/u/.codex/config.toml")
        #expect(try path(.codex, .user, .linux, ["CODEX_HOME": "/c"]) == "/c/config.toml")
        #expect(try path(.codex, .project) == "/src/p/.codex/config.toml")
        #expect(throws: ClientConfigError.unsupportedScope(app: .claudeDesktop, scope: .project)) { try path(.claudeDesktop, .project) }
        #expect(throws: ClientConfigError.noConfigFile(app: .generic)) { try path(.generic) }
    }
}
