@testable import CapstanAudit
import Foundation

extension Sample {
    /// A call with every field set; `n` varies the arguments hash.
    static func call(client: String = "alice", server: String = "weather", tool: String = "forecast",
                     decision: AuditToolCall.Decision = .allowed, outcome: AuditToolCall.Outcome = .ok,
                     startedAt: Date = StepClock.start, n: Int = 0, error: String? = nil) -> AuditToolCall {
        AuditToolCall(startedAt: startedAt, client: client, server: server, tool: tool, decision: decision,
                      outcome: outcome, durationMs: Int64(n % 1000), argumentsSHA256: argumentsHash(n),
                      protocolVersion: "2025-06-18", error: error)
    }

    /// A distinct 64-hex-digit stand-in for an arguments hash.
    static func argumentsHash(_ n: Int) -> String {
        let hex = String(n, radix: 16)
        return String(repeating: "a", count: 64 - hex.count) + hex
    }
}

/// Waits, without a fixed sleep in the test's logic, until `condition` holds; false after
/// `timeout`. For states that another task reaches (a writer's queue filling up).
func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return try await condition()
}
