import CapstanDocker
import Testing

@Suite struct ConcurrencyTests {
    @Test func manySimultaneousFirstRequestsShareOneNegotiationAndAllFinish() async throws {
        try await EngineFixture.run { fx in
            // A fresh client: all eight race to negotiate the version.
            let client = try DockerClient()
            let results = try await within(.seconds(30)) {
                try await withThrowingTaskGroup(of: Bool.self) { group in
                    for i in 0..<8 {
                        group.addTask {
                            if i.isMultiple(of: 2) {
                                return try await client.inspectContainer("capstan-test-missing-\(i)") == nil
                            }
                            return try await !client.version().apiVersion.isEmpty
                        }
                    }
                    return try await group.reduce(into: [Bool]()) { $0.append($1) }
                }
            }
            #expect(results == Array(repeating: true, count: 8))
        }
    }

    @Test func blockingRequestsRunConcurrently() async throws {
        try await EngineFixture.run { fx in
            var ids: [String] = []
            for i in 0..<4 {
                let id = try await fx.client.createContainer(name: fx.name("slow\(i)"), spec: fx.spec(["sleep", "30"]))
                try await fx.client.startContainer(id)
                ids.append(id)
            }
            // Each stop takes a second on the engine's side (`sleep` ignores SIGTERM, so it waits
            // out the timeout): run one after another they would take four.
            let clock = ContinuousClock()
            let start = clock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for id in ids {
                    group.addTask { try await fx.client.stopContainer(id, timeout: 1) }
                }
                try await group.waitForAll()
            }
            let elapsed = clock.now - start
            #expect(elapsed >= .seconds(1))
            #expect(elapsed < .seconds(3), "4 one-second requests took \(elapsed): they ran one after another")
        }
    }

    @Test func cancellingAWaitAbortsTheRequestPromptly() async throws {
        try await EngineFixture.run { fx in
            let id = try await fx.client.createContainer(name: fx.name("waited"), spec: fx.spec(["sleep", "30"]))
            try await fx.client.startContainer(id)
            let waiting = Task { try await fx.client.waitContainer(id) }
            try await Task.sleep(for: .milliseconds(300))
            let clock = ContinuousClock()
            let cancelled = clock.now
            waiting.cancel()
            let result = await waiting.result
            #expect(clock.now - cancelled < .seconds(1))
            #expect {
                try result.get()
            } throws: { error in
                guard case .cancelled(let endpoint) = error as? DockerError else { return false }
                return endpoint.hasSuffix("/containers/\(id)/wait")
            }
        }
    }
}
