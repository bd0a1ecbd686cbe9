import ArgumentParser
import CapstanCore
import Foundation

struct ClientCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "Create client identities and connect Claude Desktop, Claude Code, Cursor, VS Code or Codex to the gateway.",
        discussion: """
            A Client manifest names an LLM client app and holds the SHA-256 of its bearer token; \
            the token itself never enters the repository. `add` and `rotate` show a new token once \
            on a terminal, or write it to a file created with mode 0600. `config` prints the \
            app's configuration snippet; `connect` merges it into the app's own file (with a \
            backup) and `disconnect` takes it out again.

            Examples:
              capstan client add alice --app claude-code \\
                  --token-file ~/.config/capstan/alice.token
              capstan client config alice --token-env CAPSTAN_TOKEN
              capstan client connect alice --token-env CAPSTAN_TOKEN
              capstan client rotate alice --token-file ~/.config/capstan/alice.token.new
              capstan client disconnect alice
            """,
        subcommands: [Add.self, Rotate.self, Config.self, Connect.self, Disconnect.self]
    )
}

/// The manifest repository a client command reads and writes.
struct ClientRepositoryOptions: ParsableArguments {
    @Option(help: "The manifest repository.", completion: .directory)
    var dir: String = "."

    func load() -> LoadResult {
        ManifestLoader.load(DirectoryTree(root: dir))
    }

    /// The Client named `name`, or an error that says what the repository holds instead.
    func client(_ name: String, in result: LoadResult) throws -> Client {
        if let client = result.manifests.clients.first(where: { $0.metadata.name.value == name }) { return client }
        let names = result.manifests.clients.map(\.metadata.name.value)
        var message = "no Client \"\(name)\" in \(dir)"
        if !result.isValid { message += " (the repository has errors: run `capstan validate \(dir)`)" }
        else if names.isEmpty { message += "; create one with `capstan client add \(name) --app …`" }
        else { message += "; its clients: \(names.joined(separator: ", "))" }
        throw CLIError(message)
    }

    func display(_ relative: String) -> String {
        DisplayPaths(directory: dir).path(relative)
    }

    /// ` --dir DIR` to repeat in a suggested command, empty for the current directory.
    var option: String {
        dir == "." ? "" : " --dir " + ClientSnippet.shellQuoted(dir)
    }
}

/// How `config`, `connect` and `disconnect` describe the gateway connection.
struct ClientConnectionOptions: ParsableArguments {
    @Option(help: "The gateway's MCP endpoint.")
    var url = "http://127.0.0.1:8750/mcp"

    @Option(help: "A file holding the client's token (as `client add --token-file` wrote it).", completion: .file())
    var tokenFile: String?

    @Option(help: "An environment variable that holds the token when the app starts; the configuration refers to it instead of holding the token.")
    var tokenEnv: String?

    @Option(help: ArgumentHelp("The capstan executable Claude Desktop starts as the bridge (default: this one).", visibility: .hidden))
    var capstanCommand: String?

    func validate() throws {
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw ValidationError("--url must be an http:// or https:// URL, not \"\(url)\"")
        }
        if let tokenEnv {
            let ok = !tokenEnv.isEmpty && tokenEnv.utf8.allSatisfy { isASCIIAlnum($0) || $0 == UInt8(ascii: "_") }
                && !(tokenEnv.first?.isNumber ?? true)
            guard ok else { throw ValidationError("--token-env \"\(tokenEnv)\" is not an environment variable name") }
        }
    }

    /// The connection for `client`, reading and checking the token file against its hash.
    func connection(for client: Client) throws -> ClientConnection {
        var source = ClientTokenSource(environment: tokenEnv)
        if let tokenFile {
            let path = ClientFiles.absolute(tokenFile)
            let token = try ClientTokenFile.read(path)
            guard ClientToken.hash(token) == client.tokenHash else {
                throw CLIError("the token in \(tokenFile) does not match the tokenHash of client \(client.metadata.name.value); "
                               + "was it rotated? Use the file `client add` or `client rotate` wrote last")
            }
            source.file = (path, token)
        }
        return ClientConnection(name: client.metadata.name.value, app: client.app, url: url, token: source,
                                capstanCommand: capstanCommand ?? ClientFiles.capstanExecutable())
    }
}

private func isASCIIAlnum(_ b: UInt8) -> Bool {
    (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122)
}

extension ClientApp {
    var displayName: String {
        switch self {
        case .claudeDesktop: "Claude Desktop"
        case .claudeCode: "Claude Code"
        case .cursor: "Cursor"
        case .vscode: "VS Code"
        case .codex: "Codex"
        case .generic: "a generic MCP client"
        }
    }
}

extension ClientApp: ExpressibleByArgument {}
extension ClientConfigScope: ExpressibleByArgument {}

extension ClientCommand {
    /// Wording for people of the client configuration errors.
    static func describe(_ error: ClientConfigError, file: String? = nil) -> String {
        let prefix = file.map { $0 + ": " } ?? ""
        switch error {
        case .syntax(let line, let column, let message):
            return "\(file ?? "the file"):\(line):\(column): \(message); fix the file (nothing was changed)"
        case .unexpectedShape(let path, let expected):
            return "\(prefix)\(path) is not \(expected); fix the file (nothing was changed)"
        case .noConfigFile(let app):
            return "\(app.displayName) has no configuration file Capstan knows; use `capstan client config` and configure it by hand"
        case .unsupportedScope(let app, let scope):
            return "\(app.displayName) has no \(scope.rawValue)-scope configuration; use --scope user"
        case .needsTokenFile(let app):
            return "\(app.displayName) starts local servers only, without your shell's environment: give --token-file, "
                + "which its entry passes to `capstan bridge`"
        case .needsToken(let app):
            return "give --token-env VAR (\(app.displayName) reads the token from that environment variable) or --token-file FILE"
        case .tokenInProjectFile(let app):
            return "project configuration files are usually committed: \(app.displayName) would get the token itself; "
                + "use --token-env VAR, or --scope user"
        case .unmanagedTOMLForm(let name, let line):
            return "\(prefix)line \(line) defines mcp_servers.\(name) in a form Capstan does not edit; "
                + "make it a [mcp_servers.\(name)] table or remove it (nothing was changed)"
        case .noCommandForm(let app):
            return "\(app.displayName) has no command that adds this server; leave out --command to get the configuration file snippet"
        }
    }
}
