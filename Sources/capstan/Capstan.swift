import ArgumentParser
import CapstanCore

@main
struct Capstan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capstan",
        abstract: "GitOps for MCP servers on Docker.",
        discussion: """
            A git repository of YAML manifests says which MCP servers run, how their images are \
            built, which LLM clients may connect and which tools each may call.

            Example:
              capstan validate examples/quickstart
              capstan plan examples/quickstart
              capstan apply --auto-approve examples/quickstart
              capstan status examples/quickstart
              capstan audit verify
            """,
        version: CapstanVersion.current,
        subcommands: [InitCommand.self, NewCommand.self, Validate.self, PlanCommand.self, ApplyCommand.self, StatusCommand.self, AuditCommand.self,
                      ControllerCommand.self, SyncCommand.self, GatewayCommand.self,
                      BridgeCommand.self,
                      ClientCommand.self, CompletionsCommand.self]
    )
}

enum CapstanVersion {
    static let current = "0.1.0"
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}
