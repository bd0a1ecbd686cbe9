@testable import CapstanReconciler
import Foundation
import Testing

/// The controller's time-dependent rules, with time passed in: no test sleeps.
struct ControllerLogicTests {
    @Test func restartBudgetMarksACrashLoopAndASpecChangeClearsIt() {
        var budget = RestartBudget(limit: 3, window: 300)
        let t0 = Date(timeIntervalSince1970: 1_000_000)
        // allowRestart mutates, so each answer is taken before it is checked.
        func allow(_ server: String, _ hash: String, after seconds: Double) -> Bool {
            budget.allowRestart(of: server, specHash: hash, at: t0.addingTimeInterval(seconds))
        }
        let firstThree = (0..<3).map { allow("web", "h1", after: Double($0)) }
        #expect(firstThree == [true, true, true])
        let fourth = allow("web", "h1", after: 10)
        #expect(!fourth)
        #expect(budget.isCrashLooping("web", specHash: "h1"))
        let muchLater = allow("web", "h1", after: 1000)
        #expect(!muchLater, "stays marked, even later")
        #expect(!budget.isCrashLooping("web", specHash: "h2"), "a new spec is not the one that crashed")
        let other = allow("other", "x", after: 0)
        #expect(other, "budgets are per server")
        budget.reset("web")
        let afterReset = allow("web", "h1", after: 11)
        #expect(afterReset)
    }

    @Test func restartsOutsideTheWindowDoNotCount() {
        var budget = RestartBudget(limit: 2, window: 60)
        let t0 = Date(timeIntervalSince1970: 0)
        let answers = [0.0, 30, 61, 62].map { budget.allowRestart(of: "s", specHash: "h", at: t0.addingTimeInterval($0)) }
        #expect(answers == [true, true, true, false])
    }

    @Test func everyAttemptIsOneLineForTheJournal() {
        #expect(Controller.logLine(revision: "0123456789abcdef0123", trigger: "poll", result: "invalid",
                                   errors: ["a.yaml:3:3: unknown field", "b.yaml:1:1: bad"], changes: 0)
            == "sync invalid at 0123456789ab (poll): a.yaml:3:3: unknown field; b.yaml:1:1: bad")
        #expect(Controller.logLine(revision: nil, trigger: "webhook", result: "fetch_failed", errors: ["remote gone"], changes: 0)
            == "sync fetch_failed (webhook): remote gone")
        #expect(Controller.logLine(revision: "abc", trigger: "drift", result: "succeeded", errors: [], changes: 1)
            == "applied 1 change at abc (drift)")
        #expect(Controller.logLine(revision: "abc", trigger: "poll", result: "succeeded", errors: [], changes: 0)
            == "in sync at abc (poll)")
    }

    @Test func backoffDoublesWithJitterAndIsCapped() {
        let b = Backoff(base: 1, maximum: 60)
        #expect(b.delay(afterFailures: 0, random: 1) == 0)
        #expect(b.delay(afterFailures: 1, random: 1) == 1)
        #expect(b.delay(afterFailures: 3, random: 1) == 4)
        #expect(b.delay(afterFailures: 3, random: 0) == 2)
        #expect(b.delay(afterFailures: 20, random: 1) == 60)
    }

    @Test func metricsRenderThePrometheusTextFormat() {
        let m = Metrics()
        m.describe("capstan_reconciles_total", .counter, help: "Reconcile attempts by result.")
        m.increment("capstan_reconciles_total", ["result": "succeeded"])
        m.increment("capstan_reconciles_total", ["result": "succeeded"])
        m.set("capstan_resources", ["state": "in_sync"], to: 3)
        m.observe("capstan_build_duration_seconds", [:], 0.3)
        let text = m.render()
        #expect(text.contains("# HELP capstan_reconciles_total Reconcile attempts by result.\n# TYPE capstan_reconciles_total counter\n"))
        #expect(text.contains("capstan_reconciles_total{result=\"succeeded\"} 2\n"))
        #expect(text.contains("capstan_resources{state=\"in_sync\"} 3\n"))
        #expect(text.contains("capstan_build_duration_seconds_bucket{le=\"0.25\"} 0\n"))
        #expect(text.contains("capstan_build_duration_seconds_bucket{le=\"0.5\"} 1\n"))
        #expect(text.contains("capstan_build_duration_seconds_count 1\n"))
    }

    @Test func aSecondLockOnOneStateDirectoryIsRefused() throws {
        let dir = FileManager.default.temporaryDirectory.path + "/capstan-lock-\(UUID())"
        let first = try StateLock(stateDirectory: dir)
        #expect(throws: ReconcileError.self) { try StateLock(stateDirectory: dir) }
        withExtendedLifetime(first) {}
    }
}
