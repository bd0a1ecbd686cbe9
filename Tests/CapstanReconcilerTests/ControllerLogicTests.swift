@testable import CapstanReconciler
import Foundation
import Testing

/// The controller's time-dependent rules, with time passed in: no test sleeps.
struct ControllerLogicTests {
    @Test func restartBudgetMarksACrashLoopAndASpecChangeClearsIt() {
        var budget = RestartBudget(limit: 3, window: 300)
        let t0 = Date(timeIntervalSince1970: 1_000_000)
        for i in 0..<3 {
            #expect(budget.allowRestart(of: "web", specHash: "h1", at: t0.addingTimeInterval(Double(i))))
        }
        #expect(!budget.allowRestart(of: "web", specHash: "h1", at: t0.addingTimeInterval(10)))
        #expect(budget.isCrashLooping("web", specHash: "h1"))
        #expect(!budget.allowRestart(of: "web", specHash: "h1", at: t0.addingTimeInterval(1000)), "stays marked, even later")
        #expect(!budget.isCrashLooping("web", specHash: "h2"), "a new spec is not the one that crashed")
        #expect(budget.allowRestart(of: "other", specHash: "x", at: t0), "budgets are per server")
        budget.reset("web")
        #expect(budget.allowRestart(of: "web", specHash: "h1", at: t0.addingTimeInterval(11)))
    }

    @Test func restartsOutsideTheWindowDoNotCount() {
        var budget = RestartBudget(limit: 2, window: 60)
        let t0 = Date(timeIntervalSince1970: 0)
        #expect(budget.allowRestart(of: "s", specHash: "h", at: t0))
        #expect(budget.allowRestart(of: "s", specHash: "h", at: t0.addingTimeInterval(30)))
        #expect(budget.allowRestart(of: "s", specHash: "h", at: t0.addingTimeInterval(61)))
        #expect(!budget.allowRestart(of: "s", specHash: "h", at: t0.addingTimeInterval(62)))
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
