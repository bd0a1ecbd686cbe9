import ArgumentParser
import CapstanCore
import CapstanReconciler
import Foundation

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what apply would change on the Docker engine, and why.",
        discussion: """
            Reads the manifests, observes the containers and images this instance owns, and prints \
            the actions that would make the host match: + build/create, -/+ replace, ~ start, \
            - delete, each with its reason. Changes nothing.

            Examples:
              capstan plan examples/quickstart
              capstan plan --repo https://git.example.com/mcp.git --ref main
              capstan plan --detailed-exitcode -out tonight.plan    # exit 2 when there are changes
            """
    )

    @OptionGroup var source: SourceOptions
    @OptionGroup var engine: EngineOptions

    @Option(name: [.short, .customLong("output")], help: "Output format: text or json.")
    var output: OutputFormat = .text

    @Option(name: [.customLong("out"), .customLong("out", withSingleDash: true)],
            help: "Save the plan to this file, for `capstan apply FILE`.")
    var out: String?

    @Flag(help: "Exit 0 when there is nothing to do, 2 when there are changes, 1 on error.")
    var detailedExitcode = false

    func run() async throws {
        let (pipeline, _, _) = try engine.pipeline()
        let prepared = try await pipeline.prepare(source, stateDirectory: engine.stateDirectory)
        let plan = prepared.plan
        switch output {
        case .text: print(PlanRenderer.text(plan), terminator: "")
        case .json: print(PlanRenderer.json(plan))
        }
        if let out {
            do {
                try Data(PlanRenderer.json(plan).utf8).write(to: URL(fileURLWithPath: out))
            } catch {
                throw CLIError("cannot write the plan to \(out): \(error.localizedDescription)")
            }
            if output == .text { print("\nSaved the plan to \(out); apply it with: capstan apply \(out)") }
        }
        if detailedExitcode && plan.hasChanges { throw ExitCode(2) }
    }
}
