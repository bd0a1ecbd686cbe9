import ArgumentParser
import CapstanAudit
import CapstanReconciler
import Foundation

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Read and verify the hash-chained audit store.",
        subcommands: [Log.self, Verify.self]
    )

    struct StateOptions: ParsableArguments {
        @Option(help: "State directory holding audit.db (default: $CAPSTAN_STATE_DIR or ~/.local/state/capstan).")
        var stateDir: String?

        func store() throws -> AuditStore {
            var options = EngineOptions()
            options.stateDir = stateDir
            let path = AuditRecorder.path(stateDirectory: options.stateDirectory)
            guard FileManager.default.fileExists(atPath: path) else {
                throw CLIError("no audit store at \(path): nothing has been applied with this state directory")
            }
            return try AuditStore(path: path)
        }
    }

    struct Log: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List apply runs and their actions, oldest first.",
            discussion: """
                Examples:
                  capstan audit log
                  capstan audit log --since 2026-11-27T00:00:00Z --address server.weather -o json
                """
        )

        @OptionGroup var state: StateOptions

        @Option(help: "Only entries at or after this time (ISO 8601, e.g. 2026-11-27 or 2026-11-27T10:00:00Z).")
        var since: String?

        @Option(help: "Only the actions on this address (e.g. server.weather).")
        var address: String?

        @Option(name: [.short, .customLong("output")], help: "Output format: text or json.")
        var output: OutputFormat = .text

        func run() async throws {
            let sinceDate = try since.map(parseDate)
            let entries = try await state.store().entries(since: sinceDate, address: address)
            switch output {
            case .text:
                for entry in entries { print(AuditFormat.line(entry)) }
                if entries.isEmpty { print("No audit entries match.") }
            case .json:
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(entries.map(AuditFormat.json)), as: UTF8.self))
            }
        }

        private func parseDate(_ text: String) throws -> Date {
            let full = ISO8601DateFormatter()
            if let d = full.date(from: text) { return d }
            let day = ISO8601DateFormatter()
            day.formatOptions = [.withFullDate]
            if let d = day.date(from: text) { return d }
            throw ValidationError("--since \"\(text)\" is not an ISO 8601 date such as 2026-11-27 or 2026-11-27T10:00:00Z")
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the hash chain of the audit store; exit 1 at the first broken row.",
            discussion: "Example:\n  capstan audit verify --state-dir /var/lib/capstan"
        )

        @OptionGroup var state: StateOptions

        func run() async throws {
            switch try await state.store().verify() {
            case .intact(let rows):
                print("Audit chain intact: \(rows) \(rows == 1 ? "entry" : "entries") verified.")
            case .broken(let seq, let kind, let reason):
                print("Audit chain BROKEN at entry \(seq) (\(kind)): \(reason.rawValue). Entries from there on cannot be trusted.")
                throw ExitCode(1)
            }
        }
    }
}

/// One audit entry as a line or as JSON.
enum AuditFormat {
    static func line(_ entry: AuditEntry) -> String {
        let time = ISO8601DateFormatter().string(from: entry.recordedAt)
        switch entry.record {
        case .run(let run):
            return "\(time)  run \(run.id.prefix(8))  \(run.result.rawValue)  revision \(run.revision.prefix(12))  trigger \(run.trigger.rawValue)"
        case .action(let a):
            let error = a.error.map { "  error: \($0)" } ?? ""
            return "\(time)  run \(a.runID.prefix(8))  \(a.kind) \(a.address)  \(a.outcome.rawValue)  \(a.durationMs)ms\(error)"
        }
    }

    struct JSONEntry: Encodable {
        var seq: Int64
        var recordedAt: String
        var type: String
        var runID: String
        var revision: String?
        var trigger: String?
        var result: String?
        var startedAt: String?
        var finishedAt: String?
        var address: String?
        var kind: String?
        var beforeHash: String?
        var afterHash: String?
        var outcome: String?
        var error: String?
        var durationMs: Int64?
        var hash: String
        var prevHash: String
    }

    static func json(_ entry: AuditEntry) -> JSONEntry {
        let iso = ISO8601DateFormatter()
        var j = JSONEntry(seq: entry.seq, recordedAt: iso.string(from: entry.recordedAt), type: entry.record.kind, runID: "",
                          hash: entry.hash, prevHash: entry.prevHash)
        switch entry.record {
        case .run(let r):
            j.runID = r.id
            j.revision = r.revision
            j.trigger = r.trigger.rawValue
            j.result = r.result.rawValue
            j.startedAt = iso.string(from: r.startedAt)
            j.finishedAt = iso.string(from: r.finishedAt)
        case .action(let a):
            j.runID = a.runID
            j.address = a.address
            j.kind = a.kind
            j.beforeHash = a.beforeHash
            j.afterHash = a.afterHash
            j.outcome = a.outcome.rawValue
            j.error = a.error
            j.durationMs = a.durationMs
        }
        return j
    }
}
