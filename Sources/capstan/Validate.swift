import ArgumentParser
import CapstanCore
import Foundation

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check every manifest of a repository and report all problems at once.",
        discussion: """
            Reads capstan.yaml and every *.yaml/*.yml file under the manifest root, and prints each \
            problem as file:line:column: error: message. Exits 0 when the repository is valid, 1 \
            when it is not.

            Examples:
              capstan validate                       # the current directory
              capstan validate examples/quickstart
              capstan validate -o json . | jq '.diagnostics[]'
            """
    )

    @Argument(help: "The repository directory.", completion: .directory)
    var directory: String = "."

    @Option(name: [.short, .customLong("output")], help: "Output format: text or json.")
    var output: OutputFormat = .text

    func run() throws {
        let result = ManifestLoader.load(DirectoryTree(root: directory))
        let display = DisplayPaths(directory: directory)
        switch output {
        case .text:
            print(ValidationReport.text(result, display: display.path), terminator: "")
        case .json:
            print(try ValidationReport.json(result, display: display.path))
        }
        if !result.isValid { throw ExitCode(1) }
    }
}

/// Diagnostics name files as the user can open them from where they ran the command.
struct DisplayPaths {
    let directory: String

    func path(_ relative: String) -> String {
        let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        if base == "." || base.isEmpty { return relative }
        return relative == "." ? base : base + "/" + relative
    }
}
