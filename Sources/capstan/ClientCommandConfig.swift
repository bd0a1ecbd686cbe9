import ArgumentParser
import CapstanCore
import Foundation

extension ClientCommand {
    struct Config: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the configuration snippet that connects a client's app to the gateway.",
            discussion: """
                The snippet is in the app's own format (from the Client's spec.app) and goes to \
                stdout; where it belongs goes to stderr. With --token-env the configuration refers to \
                an environment variable wherever the app expands one (Claude Code, Cursor, VS Code, \
                Codex); with --token-file it holds the token, except for Claude Desktop, whose entry \
                starts `capstan bridge` with the file. VS Code without either asks for the token once \
                and keeps it in its secret storage.

                Examples:
                  capstan client config alice --token-env CAPSTAN_TOKEN
                  capstan client config alice --token-file ~/.config/capstan/alice.token
                  capstan client config alice --token-env CAPSTAN_TOKEN --command | sh
                """
        )

        @Argument(help: "The client's name.")
        var name: String

        @OptionGroup var repository: ClientRepositoryOptions
        @OptionGroup var connection: ClientConnectionOptions

        @Flag(help: "Print the app's own command that adds the server (Claude Code; Codex with --token-env).")
        var command = false

        func run() throws {
            let client = try repository.client(name, in: repository.load())
            let c = try connection.connection(for: client)
            do throws(ClientConfigError) {
                print(try command ? ClientSnippet.command(c) : ClientSnippet.file(c), terminator: "")
            } catch {
                throw CLIError(ClientCommand.describe(error))
            }
            if !command { FileHandle.standardError.write(Data(("# " + destination(client.app) + "\n").utf8)) }
        }

        private func destination(_ app: ClientApp) -> String {
            let connect = "or run `capstan client connect \(name)` with the same options"
            switch app {
            case .claudeDesktop: return "Claude Desktop: merge into claude_desktop_config.json (Settings → Developer → Edit Config), \(connect)"
            case .claudeCode: return "Claude Code: merge into .mcp.json (project) or ~/.claude.json (user), \(connect)"
            case .cursor: return "Cursor: merge into .cursor/mcp.json (project) or ~/.cursor/mcp.json (user), \(connect)"
            case .vscode: return "VS Code: merge into .vscode/mcp.json (workspace) or the profile's mcp.json (MCP: Open User Configuration), \(connect)"
            case .codex: return "Codex: append to ~/.codex/config.toml, \(connect)"
            case .generic: return "any MCP client that speaks Streamable HTTP: this URL with this header"
            }
        }
    }
}
