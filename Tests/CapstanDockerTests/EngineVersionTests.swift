import CapstanDocker
import Testing

@Suite struct EngineVersionTests {
    @Test func negotiatedVersionIsAtLeastTheMinimumAndAtMostTheEngines() async throws {
        try await EngineFixture.run { fx in
            let engine = try await fx.client.version()
            let negotiated = try await fx.client.apiVersion()
            let engineAPI = try #require(APIVersion(engine.apiVersion))
            #expect(negotiated >= APIVersion.minimum)
            #expect(negotiated <= engineAPI)
            #expect(negotiated <= APIVersion.maximum)
            #expect(!engine.version.isEmpty)
            #expect(engine.os == "linux")
        }
    }

    @Test func pingFailsQuietlyWhenNothingListens() async throws {
        let client = try DockerClient(host: "unix:///nonexistent/capstan-test.sock")
        #expect(await client.ping() == false)
        await #expect {
            try await client.version()
        } throws: { error in
            guard case .transport(let endpoint, let reason) = error as? DockerError else { return false }
            return endpoint == "GET /version" && !reason.isEmpty
        }
    }
}
