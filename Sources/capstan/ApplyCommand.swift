import ArgumentParser
import CapstanAudit
import CapstanCore
import CapstanReconciler
import Foundation

struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Make the Docker engine run what the repository says.",
        discussion: """
            Plans as `capstan plan` does, shows the plan, asks for confirmation (unless \
            --auto-approve), then builds images, creates, replaces, starts and deletes containers. \
            Every run and action is written to the audit store. A saved plan (`capstan plan -out \
            FILE`) is applied only while the host is as it was when the plan was made.

            Examples:
              capstan apply --auto-approve examples/quickstart
              capstan apply --repo /srv/mcp.git --ref main --secrets-dir /etc/capstan/secrets
              capstan apply tonight.plan
            """
    )

    @OptionGroup var source: SourceOptions
    @OptionGroup var engine: EngineOptions

    @Flag(help: "Apply without asking for confirmation.")
    var autoApprove = false

    @Option(help: "How many builds or container actions run at once.")
    var concurrency = 4

    @Flag(help: "Show every line of the build logs (by default only the tail of a failed build).")
    var logBuild = false

    @Option(help: "What caused this apply, as recorded in the audit store: cli, poll, webhook, manual or drift.")
    var trigger: AuditRun.Trigger = .cli

    func run() async throws {
        let (pipeline, containerEngine, secrets) = try engine.pipeline()
        let state = engine.stateDirectory
        var saved: Plan?
        var source = self.source
        if let path = source.directory, isRegularFile(path) {
            guard let plan = PlanRenderer.decode(json: Array(FileManager.default.contents(atPath: path) ?? Data())),
                  let origin = plan.source else {
                throw CLIError("\(path) is not a plan saved by `capstan plan -out` (format \(Plan.formatVersion))")
            }
            saved = plan
            source = SourceOptions.from(origin, revision: plan.revision)
        }

        let prepared = try await pipeline.prepare(source, stateDirectory: state)
        var plan = prepared.plan
        if let saved {
            guard saved.observedFingerprint == prepared.observed.fingerprint else {
                throw CLIError("the saved plan is stale: the containers or images changed since it was made; run `capstan plan` again")
            }
            guard saved.actions == plan.actions, saved.instance == plan.instance else {
                throw CLIError("the saved plan is stale: the repository or the secrets changed since it was made; run `capstan plan` again")
            }
            plan = saved
        }

        print(PlanRenderer.text(plan), terminator: "")
        guard plan.hasChanges else { return }
        if saved == nil && !autoApprove {
            guard isatty(STDIN_FILENO) == 1 else {
                throw CLIError("not a terminal: pass --auto-approve to apply without confirmation")
            }
            print("\nApply these changes? Only 'yes' is accepted: ", terminator: "")
            guard readLine() == "yes" else {
                print("Apply cancelled.")
                return
            }
        }

        let recorder = try AuditRecorder.open(stateDirectory: state)
        let runID = UUID().uuidString.lowercased()
        let progress = Progress(showBuildLog: logBuild)
        let applier = Applier(engine: containerEngine, secrets: secrets, concurrency: concurrency,
                              recorder: recorder, routes: pipeline.routes, runID: runID, onEvent: progress.show)
        print("")
        let started = Date()
        let report = await applier.apply(plan, archives: prepared.archives)
        try await recorder.record(runID: runID, revision: plan.revision, trigger: trigger.rawValue, started: started, ended: Date(),
                               report: report)
        print(progress.summary(report))
        if !report.succeeded { throw ExitCode(1) }
    }

    private func isRegularFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }
}

extension SourceOptions {
    /// The source a saved plan was made from, pinned to the revision it planned.
    static func from(_ origin: PlanSource, revision: String) -> SourceOptions {
        var options = SourceOptions()
        switch origin.kind {
        case .directory: options.directory = origin.location
        case .git:
            options.repo = origin.location
            options.ref = revision
        }
        return options
    }
}

extension AuditRun.Trigger: ExpressibleByArgument {}
