import Testing

@testable import CapstanGateway

@Suite struct CatalogFailuresTests {
    @Test func aFailureIsRememberedForThirtySecondsThenForgotten() {
        let failures = CatalogFailures()
        let start = ContinuousClock.now
        #expect(failures.recent("weather", now: start) == nil)
        failures.record("weather", "server weather did not answer within 3 seconds", now: start)
        #expect(failures.recent("weather", now: start + .seconds(29)) == "server weather did not answer within 3 seconds")
        #expect(failures.recent("time", now: start + .seconds(1)) == nil)
        #expect(failures.recent("weather", now: start + .seconds(31)) == nil)
        #expect(failures.recent("weather", now: start + .seconds(32)) == nil)
    }
}
