import ArgumentParser
import CapstanCore
import Foundation

extension ClientCommand {
    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a Client manifest with a new token, and hand the token over once.",
            discussion: """
                Writes clients/NAME.yaml under the manifest root with the SHA-256 of a new random \
                token. The token is shown on a terminal, or written to --token-file (a new file of \
                mode 0600 outside the repository); with neither, nothing is changed.

                Examples:
                  capstan client add alice --app claude-code
                  capstan client add ci-bot --app generic --label team=platform \\
                      --token-file ~/.config/capstan/ci-bot.token
                """
        )

        @Argument(help: "The client's name (a DNS label).")
        var name: String

        @Option(help: "The client app: \(ClientApp.allCases.map(\.rawValue).joined(separator: ", ")).")
        var app: ClientApp

        @OptionGroup var repository: ClientRepositoryOptions

        @Option(name: .customLong("label"), help: "A label key=value for the manifest (repeatable).")
        var labels: [String] = []

        @Option(help: "Write the token to this new file (mode 0600) instead of showing it.", completion: .file())
        var tokenFile: String?

        func validate() throws {
            if let problem = dnsLabelProblem(name) { throw ValidationError("client name \"\(name)\" is not valid: \(problem)") }
            _ = try parsedLabels()
        }

        func parsedLabels() throws -> [(key: String, value: String)] {
            var result: [(key: String, value: String)] = []
            for label in labels {
                guard let eq = label.firstIndex(of: "="), eq != label.startIndex else {
                    throw ValidationError("--label \"\(label)\" is not key=value")
                }
                let key = String(label[..<eq])
                if result.contains(where: { $0.key == key }) { throw ValidationError("--label \(key) is given twice") }
                result.append((key, String(label[label.index(after: eq)...])))
            }
            return result
        }

        func run() throws {
            let delivery = try ClientTokenDelivery.prepare(tokenFile: tokenFile, repository: repository.dir)
            let before = repository.load()
            if let existing = before.manifests.clients.first(where: { $0.metadata.name.value == name }) {
                let at = existing.metadata.location
                throw CLIError("a Client named \(name) already exists at \(repository.display(at.file)):\(at.mark.line); "
                               + "use `capstan client rotate \(name)` for a new token. Nothing was changed.")
            }
            let root = before.manifests.config.root
            let relative = (root.isEmpty ? "" : root + "/") + "clients/\(name).yaml"
            let tree = DirectoryTree(root: repository.dir)
            guard tree.kind(of: relative) == .missing else {
                throw CLIError("\(repository.display(relative)) already exists. Nothing was changed.")
            }

            var generator = SystemRandomNumberGenerator()
            let token = ClientToken.generate(using: &generator)
            let depth = relative.split(separator: "/").count - 1
            let schema = tree.kind(of: "schemas/manifest.schema.json") == .file
                ? String(repeating: "../", count: depth) + "schemas/manifest.schema.json" : nil
            let manifest = Array(ClientManifest.render(name: name, app: app, labels: try parsedLabels(),
                                                       tokenHash: ClientToken.hash(token), schema: schema).utf8)

            // Validate the repository as it will be, before writing anything.
            let planned = ManifestLoader.load(OverlayTree(base: tree, path: relative, bytes: manifest))
            let problems = planned.diagnostics.filter { $0.file == relative && $0.severity == .error }
            if !problems.isEmpty {
                let lines = problems.map { "  \($0.message)" + ($0.hint.map { " (hint: \($0))" } ?? "") }
                throw CLIError("the new manifest would not be valid:\n" + lines.joined(separator: "\n") + "\nNothing was changed.")
            }
            guard planned.manifests.clients.contains(where: { $0.metadata.name.value == name }) else {
                throw CLIError("\(repository.display(relative)) would not be read as a manifest (see exclude: and root: in "
                               + "capstan.yaml). Nothing was changed.")
            }

            try delivery.store(token)
            do {
                let directory = repository.dir + "/" + (relative as NSString).deletingLastPathComponent
                try ClientFiles.makeDirectories(directory)
                try ClientFiles.createExclusive(repository.dir + "/" + relative, manifest, mode: ClientFiles.defaultFileMode())
            } catch {
                delivery.discard()
                throw error
            }

            // Claude Desktop's bridge reads the token from a file; on a terminal the user saves it there.
            let tokenOption: String
            if case .terminal = delivery, app == .claudeDesktop { tokenOption = "--token-file FILE (the token saved there, mode 0600)" }
            else { tokenOption = delivery.option }
            print("Created Client \(name) (\(app.displayName)) in \(repository.display(relative)).")
            delivery.announce(token)
            ClientCommand.reportValidation(repository)
            print("""

                Next:
                  1. Commit \(repository.display(relative)) (it holds only the token's hash).
                  2. Grant tools in a Policy: spec: {clients: [\(name)], rules: [{server: "*", tools: ["*"], effect: allow}]}
                  3. Connect the app: capstan client connect \(name)\(repository.option) \(tokenOption)
                     or print its configuration: capstan client config \(name)\(repository.option) \(tokenOption)
                """)
        }
    }

    /// Validates the repository after a change and says what is wrong, if anything.
    static func reportValidation(_ repository: ClientRepositoryOptions) {
        let result = repository.load()
        if result.isValid {
            print("Repository: " + ValidationReport.summary(result.manifests) + ".")
        } else {
            print(ValidationReport.text(result, display: repository.display), terminator: "")
            print("The repository has problems to fix before it can be applied.")
        }
    }
}

/// The repository with one more file, to validate a manifest before writing it.
struct OverlayTree: SourceTree {
    let base: DirectoryTree
    let path: String
    let bytes: [UInt8]

    func files(under directory: String) throws(SourceError) -> [String] {
        var files = try base.files(under: directory)
        if directory.isEmpty || path.hasPrefix(directory + "/"), !files.contains(path) {
            files.append(path)
            files.sort()
        }
        return files
    }

    func kind(of p: String) -> EntryKind {
        if p == path { return .file }
        if path.hasPrefix(p + "/"), base.kind(of: p) == .missing { return .directory }
        return base.kind(of: p)
    }

    func read(_ p: String) throws(SourceError) -> [UInt8] {
        p == path ? bytes : try base.read(p)
    }
}
