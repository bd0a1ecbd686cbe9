import ArgumentParser
import CapstanAudit
import CapstanReconciler
import Foundation

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Read and verify the hash-chained audit store.",
        discussion: """
            Every apply run and action, and every tool call through the gateway, is a row of an \
            append-only SQLite store in the state directory, each row hashed with the one before.

            Examples:
              capstan audit log --since 1d
              capstan audit calls --client alice --decision denied
              capstan audit verify
            """,
        subcommands: [Log.self, Calls.self, Verify.self]
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
            do {
                return try AuditStore(readingFrom: path)
            } catch {
                throw CLIError("\(error)")
            }
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

        @Option(help: "Only entries at or after this time: a duration back from now (30s, 15m, 2h, 7d) or ISO 8601 (2026-11-27, 2026-11-27T10:00:00Z).",
                transform: AuditSince.parse)
        var since: Date?

        @Option(help: "Only the actions on this address (e.g. server.weather).")
        var address: String?

        @Option(name: [.short, .customLong("output")], help: "Output format: text or json.")
        var output: OutputFormat = .text

        func run() async throws {
            // The gateway's calls have a command of their own; among millions of them the runs
            // and actions would be lost.
            let entries = try await state.store().entries(since: since, address: address, kinds: [.run, .action])
            switch output {
            case .text:
                for entry in entries { print(AuditFormat.line(entry)) }
                if entries.isEmpty { print("No audit entries match.") }
            case .json:
                print(try AuditFormat.json(entries))
            }
        }
    }

    struct Calls: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the MCP tool calls made through the gateway, oldest first.",
            discussion: """
                Every tools/call the gateway received, allowed or denied. The arguments are not \
                kept, only their SHA-256 (ARGS shows its first 12 hex digits; -o json has it whole).

                Examples:
                  capstan audit calls --since 1h
                  capstan audit calls --client ci-bot --decision denied --limit 50 -o json
                """
        )

        @OptionGroup var state: StateOptions

        @Option(help: "Only the calls of this client.")
        var client: String?

        @Option(help: "Only calls to this server.")
        var server: String?

        @Option(help: "Only calls of this tool (its name on the server, without the server__ prefix).")
        var tool: String?

        @Option(help: "Only allowed or only denied calls.")
        var decision: AuditToolCall.Decision?

        @Option(help: "Only calls started at or after this: a duration back from now (30s, 15m, 2h, 7d) or ISO 8601 (2026-11-27, 2026-11-27T10:00:00Z).",
                transform: AuditSince.parse)
        var since: Date?

        @Option(help: "Only the newest N calls.")
        var limit: Int?

        @Option(name: [.short, .customLong("output")], help: "Output format: text or json.")
        var output: OutputFormat = .text

        func validate() throws {
            if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        }

        func run() async throws {
            let entries = try await state.store().calls(client: client, server: server, tool: tool, decision: decision,
                                                        since: since, limit: limit)
            switch output {
            case .text:
                if entries.isEmpty {
                    print("No tool calls match.")
                } else {
                    for line in AuditFormat.callTable(entries) { print(line) }
                }
            case .json:
                print(try AuditFormat.json(entries))
            }
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

extension AuditToolCall.Decision: ExpressibleByArgument {}

/// `--since`: a duration back from now, or a time.
enum AuditSince {
    static func parse(_ text: String) throws -> Date {
        // A bare number is not a duration here: it is more likely a mistyped date.
        if text.last?.isLetter == true, let seconds = durationSeconds(text) { return Date().addingTimeInterval(-seconds) }
        let full = ISO8601DateFormatter()
        if let d = full.date(from: text) { return d }
        full.formatOptions.insert(.withFractionalSeconds)
        if let d = full.date(from: text) { return d }
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        if let d = day.date(from: text) { return d }
        throw ValidationError("\"\(text)\" is neither a duration such as 15m, 2h or 7d nor an ISO 8601 time such as 2026-11-27 or 2026-11-27T10:00:00Z")
    }
}

/// Audit entries as lines, as a table of calls, or as JSON.
enum AuditFormat {
    static func line(_ entry: AuditEntry) -> String {
        let time = ISO8601DateFormatter().string(from: entry.recordedAt)
        switch entry.record {
        case .run(let run):
            return "\(time)  run \(run.id.prefix(8))  \(run.result.rawValue)  revision \(run.revision.prefix(12))  trigger \(run.trigger.rawValue)"
        case .action(let a):
            let error = a.error.map { "  error: \($0)" } ?? ""
            return "\(time)  run \(a.runID.prefix(8))  \(a.kind) \(a.address)  \(a.outcome.rawValue)  \(a.durationMs)ms\(error)"
        case .call(let c):
            return "\(time)  call \(printable(c.client)) → \(printable(c.server))/\(printable(c.tool))  \(c.decision.rawValue)  \(c.outcome.rawValue)  \(c.durationMs)ms"
        }
    }

    /// A header and one line per call in aligned columns, the error (if any) last, unaligned.
    static func callTable(_ entries: [AuditEntry]) -> [String] {
        let time = ISO8601DateFormatter()
        time.formatOptions.insert(.withFractionalSeconds)  // thousands of calls a second
        var rows = [["TIME", "CLIENT", "SERVER", "TOOL", "DECISION", "OUTCOME", "DURATION", "ARGS"]]
        var errors = [""]
        for entry in entries {
            guard case .call(let c) = entry.record else { continue }
            rows.append([time.string(from: c.startedAt), printable(c.client), printable(c.server), printable(c.tool),
                         c.decision.rawValue, c.outcome.rawValue, "\(c.durationMs)ms", String(c.argumentsSHA256.prefix(12))])
            errors.append(c.error.map { "  " + printable($0) } ?? "")
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return zip(rows, errors).map { row, error in
            row.indices.map { column in
                let cell = row[column]
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                if column == 6 { return pad + cell }  // durations line up on their unit
                return column == row.count - 1 ? cell : cell + pad
            }.joined(separator: "  ") + error
        }
    }

    /// Names and errors come from clients and servers: control and formatting characters are
    /// shown escaped, so that a row cannot rewrite the terminal or split itself into two lines.
    static func printable(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator:
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// One object per entry, every kind in one shape: the fields of other kinds are absent.
    struct JSONEntry: Encodable {
        var seq: Int64
        var recordedAt: String
        var type: String
        var runID: String?
        var revision: String?
        var trigger: String?
        var result: String?
        var startedAt: String?
        var finishedAt: String?
        var address: String?
        var kind: String?
        var beforeHash: String?
        var afterHash: String?
        var client: String?
        var server: String?
        var tool: String?
        var decision: String?
        var outcome: String?
        var error: String?
        var durationMs: Int64?
        var argumentsSHA256: String?
        var protocolVersion: String?
        var hash: String
        var prevHash: String
    }

    static func json(_ entries: [AuditEntry]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(entries.map(json)), as: UTF8.self)
    }

    static func json(_ entry: AuditEntry) -> JSONEntry {
        let iso = ISO8601DateFormatter()
        iso.formatOptions.insert(.withFractionalSeconds)  // the store keeps milliseconds
        var j = JSONEntry(seq: entry.seq, recordedAt: iso.string(from: entry.recordedAt), type: entry.record.kind.rawValue,
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
        case .call(let c):
            j.startedAt = iso.string(from: c.startedAt)
            j.client = c.client
            j.server = c.server
            j.tool = c.tool
            j.decision = c.decision.rawValue
            j.outcome = c.outcome.rawValue
            j.durationMs = c.durationMs
            j.argumentsSHA256 = c.argumentsSHA256
            j.protocolVersion = c.protocolVersion
            j.error = c.error
        }
        return j
    }
}
