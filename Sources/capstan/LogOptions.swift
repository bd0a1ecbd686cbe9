import ArgumentParser
import Foundation
import Logging

/// `--log-level` of the long-running commands (controller, gateway). Logs go to standard
/// error in swift-log's format; what the commands announce (listeners bound) stays on stdout.
struct LogOptions: ParsableArguments {
    @Option(help: "How much the log says: trace, debug, info, notice, warning, error or critical (default info, or $CAPSTAN_LOG_LEVEL).")
    var logLevel: Logger.Level?

    /// Must run before any logger is made: swift-log takes its handler once per process.
    func bootstrap() throws {
        var level = Logger.Level.info
        if let logLevel {
            level = logLevel
        } else if let text = ProcessInfo.processInfo.environment["CAPSTAN_LOG_LEVEL"], !text.isEmpty {
            guard let parsed = Logger.Level(rawValue: text.lowercased()) else {
                throw ValidationError("CAPSTAN_LOG_LEVEL \"\(text)\" is not one of "
                    + Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))
            }
            level = parsed
        }
        LoggingSystem.bootstrap { [level] label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
