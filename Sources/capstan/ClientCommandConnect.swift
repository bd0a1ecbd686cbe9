import ArgumentParser
import CapstanCore
import Foundation

/// Which configuration file of the app `connect` and `disconnect` edit.
struct ClientConfigFileOptions: ParsableArguments {
    @Option(help: "user: the app's configuration for every project; project: the file in --project-dir (.mcp.json, .cursor/mcp.json, .vscode/mcp.json, .codex/config.toml).")
    var scope: ClientConfigScope = .user

    @Option(help: "The project whose file --scope project edits.", completion: .directory)
    var projectDir: String = "."

    @Option(help: "Edit this file instead of the app's usual one.", completion: .file())
    var configFile: String?

    /// These options to repeat in a suggested command.
    var option: String {
        var words = ""
        if let configFile { words += " --config-file " + ClientSnippet.shellQuoted(configFile) }
        if scope == .project {
            words += " --scope project"
            if projectDir != "." { words += " --project-dir " + ClientSnippet.shellQuoted(projectDir) }
        }
        return words
    }

    /// The file to edit, with links resolved.
    func path(for app: ClientApp) throws -> String {
        if let configFile { return ClientFiles.resolved(ClientFiles.absolute(configFile)) }
        let environment = ProcessInfo.processInfo.environment
        do {
            let path = try ClientConfigLocation.path(app: app, scope: scope, home: environment["HOME"] ?? NSHomeDirectory(),
                                                     projectDirectory: ClientFiles.absolute(projectDir), environment: environment)
            return ClientFiles.resolved(path)
        } catch {
            throw CLIError(ClientCommand.describe(error))
        }
    }
}

extension ClientCommand {
    struct Connect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Merge a client's entry into its app's configuration file.",
            discussion: """
                Edits only the entry named after the client: the file's other servers, their order \
                and formatting stay. The file as it was before Capstan first changed it is kept as \
                <file>.capstan-backup. Running it again changes nothing. A file that ends up holding \
                the token is made mode 0600; project files never get a token.

                Files: Claude Desktop claude_desktop_config.json (~/Library/Application Support/Claude \
                on macOS, ~/.config/Claude on Linux); Claude Code ~/.claude.json or .mcp.json; Cursor \
                ~/.cursor/mcp.json or .cursor/mcp.json; VS Code the profile's mcp.json or \
                .vscode/mcp.json; Codex ~/.codex/config.toml or .codex/config.toml.

                Examples:
                  capstan client connect alice --token-env CAPSTAN_TOKEN
                  capstan client connect alice --token-env CAPSTAN_TOKEN \\
                      --scope project --project-dir ~/src/app
                  # Claude Desktop: its entry starts `capstan bridge` with the token file
                  capstan client connect desk --token-file ~/.config/capstan/desk.token
                """
        )

        @Argument(help: "The client's name.")
        var name: String

        @OptionGroup var repository: ClientRepositoryOptions
        @OptionGroup var connection: ClientConnectionOptions
        @OptionGroup var file: ClientConfigFileOptions

        func run() throws {
            let client = try repository.client(name, in: repository.load())
            let c = try connection.connection(for: client)
            let path = try file.path(for: client.app)
            let credential: ClientCredential
            let outcome: ClientConfigMerge.ConnectOutcome
            let original = try ClientFiles.read(path)
            do {
                credential = try c.credential()
                if credential.embedsToken && file.scope == .project { throw ClientConfigError.tokenInProjectFile(app: client.app) }
                outcome = try ClientConfigMerge.connect(original, c)
            } catch let error as ClientConfigError {
                throw CLIError(ClientCommand.describe(error, file: path))
            }
            guard case .changed(let bytes, let replaced) = outcome else {
                print("Client \(name) is already connected in \(path); nothing changed.")
                return
            }

            let backup = path + ".capstan-backup"
            var notes: [String] = []
            if let original {
                if try ClientFiles.read(backup) == nil {
                    try ClientFiles.createExclusive(backup, original, mode: ClientFiles.mode(of: path) ?? 0o600)
                    notes.append("Backup of the file as it was: \(backup)")
                }
            } else {
                try ClientFiles.makeDirectories((path as NSString).deletingLastPathComponent)
            }
            var mode = ClientFiles.mode(of: path) ?? ClientFiles.defaultFileMode()
            if credential.embedsToken {
                if mode & 0o077 != 0 { notes.append("The file holds the token: its mode is now 0600.") }
                mode = 0o600
            }
            try ClientFiles.replace(path, bytes, mode: mode)

            print("Connected client \(name) to \(client.app.displayName) in \(path)"
                  + (replaced ? " (replaced the entry of that name)." : "."))
            notes.append(contentsOf: hints(credential, app: client.app))
            for note in notes { print(note) }
        }

        private func hints(_ credential: ClientCredential, app: ClientApp) -> [String] {
            var hints: [String] = []
            switch credential {
            case .environment(let variable):
                hints.append("\(app.displayName) reads the token from $\(variable): set it where \(app.displayName) starts "
                             + "(for example `export \(variable)=$(cat TOKEN_FILE)` before launching it).")
            case .prompt:
                hints.append("VS Code asks for the token when it first starts the server and keeps it in its secret storage.")
            case .tokenFile(let file):
                hints.append("Claude Desktop starts `capstan bridge`, which reads the token from \(file).")
            case .embedded:
                break
            }
            hints.append("Restart \(app.displayName) (or reload its MCP servers) to pick up the change. "
                         + "Undo: capstan client disconnect \(name)\(repository.option)\(file.option)")
            return hints
        }
    }

    struct Disconnect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove what `client connect` added to an app's configuration file.",
            discussion: """
                Removes the entry named after the client (and, for VS Code, its token prompt). When \
                nothing else changed in the file since Capstan first changed it, the backup is \
                written back byte for byte; a file that `connect` created is removed.

                Examples:
                  capstan client disconnect alice
                  capstan client disconnect alice --scope project --project-dir ~/src/app
                  capstan client disconnect old-bot --app cursor   # its Client is gone
                """
        )

        @Argument(help: "The client's name.")
        var name: String

        @OptionGroup var repository: ClientRepositoryOptions
        @OptionGroup var file: ClientConfigFileOptions

        @Option(help: "The client's app, when its Client manifest is no longer in the repository.")
        var app: ClientApp?

        // Accepted so that disconnect takes the same command line as connect; not needed to remove.
        @OptionGroup(visibility: .hidden) var connection: ClientConnectionOptions

        func run() throws {
            let app = try self.app ?? repository.client(name, in: repository.load()).app
            let path = try file.path(for: app)
            let backupPath = path + ".capstan-backup"
            let backup = try ClientFiles.read(backupPath)
            let outcome: ClientConfigMerge.DisconnectOutcome
            do {
                outcome = try ClientConfigMerge.disconnect(try ClientFiles.read(path), name: name, app: app, backup: backup)
            } catch let error as ClientConfigError {
                throw CLIError(ClientCommand.describe(error, file: path))
            }
            switch outcome {
            case .notConnected:
                print("Client \(name) is not connected in \(path); nothing changed.")
            case .restoreBackup:
                try ClientFiles.replace(path, backup ?? [], mode: ClientFiles.mode(of: backupPath) ?? 0o600)
                print("Disconnected client \(name): \(path) is back as it was before `capstan client connect` (from \(backupPath)).")
            case .removeFile:
                guard unlink(path) == 0 else { throw CLIError("cannot remove \(path): \(String(cString: strerror(errno)))") }
                print("Disconnected client \(name): removed \(path), which `capstan client connect` had created.")
            case .changed(let bytes):
                try ClientFiles.replace(path, bytes, mode: ClientFiles.mode(of: path) ?? ClientFiles.defaultFileMode())
                print("Disconnected client \(name): removed its entry from \(path).")
            }
        }
    }
}
