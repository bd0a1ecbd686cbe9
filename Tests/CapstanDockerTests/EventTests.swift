@testable import CapstanDocker
import Foundation
import Testing

@Suite struct EventTests {
    @Test func startEventArrivesAndCancellingEndsTheStreamAndItsRequest() async throws {
        try await EngineFixture.run { fx in
            let listenersBefore = try await eventListeners(fx.client)
            let id = try await fx.client.createContainer(name: fx.name("events"), spec: fx.spec(["sleep", "30"]))
            // `since` covers a start that happens before the request is established. The stream
            // lives only inside the task, so it is dropped (and its request ended) when the task returns.
            let since = Date().addingTimeInterval(-1)
            let started = Task { () async throws -> DockerEvent? in
                let stream = fx.client.events(since: since, labels: [fx.label], types: ["container"])
                for try await event in stream where event.action == "start" && event.actorID == id {
                    return event
                }
                return nil
            }
            try await fx.client.startContainer(id)
            let event = try #require(try await within(.seconds(10)) { try await started.value })
            #expect(event.type == "container")
            #expect(event.attributes["capstan.test"] == fx.runID)
            #expect(event.attributes["name"] == fx.name("events"))
            #expect(abs(event.time.timeIntervalSinceNow) < 60)

            // A consumer that is cancelled while waiting for an event that never comes.
            let idle = Task {
                for try await _ in fx.client.events(labels: ["capstan.test=never-\(fx.runID)"]) {}
            }
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await eventListeners(fx.client) >= listenersBefore + 1)
            let clock = ContinuousClock()
            let cancelled = clock.now
            idle.cancel()
            _ = await idle.result
            #expect(clock.now - cancelled < .seconds(1))
            // And the engine sees both requests go: its listener count falls back.
            try await within(.seconds(3)) {
                while try await eventListeners(fx.client) > listenersBefore {
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
        }
    }

    /// The engine's count of open `/events` requests.
    private func eventListeners(_ client: DockerClient) async throws -> Int {
        struct Info: Decodable { var NEventsListener: Int }
        return try await client.sendJSON(Info.self, .get, "/info").NEventsListener
    }
}

struct TimedOut: Error {}

/// Runs `body`, failing with `TimedOut` if it takes longer than `limit`.
func within<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw TimedOut() }
        return value
    }
}
