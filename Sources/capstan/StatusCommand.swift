import ArgumentParser
import CapstanCore
import CapstanReconciler
import Foundation

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show, per resource, what the repository asks for and what Docker runs.",
        discussion: """
            Exits 0 whether or not the host is in sync; use `capstan plan --detailed-exitcode` to \
            test for drift in a script.

            Examples:
              capstan status examples/quickstart
              capstan status --repo /srv/mcp.git --ref main -o json
            """
    )

    @OptionGroup var source: SourceOptions
    @OptionGroup var engine: EngineOptions

    @Option(name: [.short, .customLong("output")], help: "Output format: text or json.")
    var output: OutputFormat = .text

    func run() async throws {
        let (pipeline, _, _) = try engine.pipeline()
        let prepared = try await pipeline.prepare(source, stateDirectory: engine.stateDirectory)
        let status = StatusReport(plan: prepared.plan)
        switch output {
        case .text:
            print(status.text, terminator: "")
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(status), as: UTF8.self))
        }
    }
}
