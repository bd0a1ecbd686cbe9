import CapstanDocker
import Foundation
import Testing

/// A client for the engine at `$DOCKER_HOST` plus a label unique to one test. Everything a
/// test creates carries the label, and `run` removes all of it afterwards, failed or not.
struct EngineFixture {
    static let image = "python:3.11-slim-bookworm"

    let client: DockerClient
    let runID = UUID().uuidString.lowercased()

    /// The label filter that finds this test's objects and nothing else.
    var label: String { "capstan.test=\(runID)" }

    func name(_ suffix: String) -> String { "capstan-test-\(runID.prefix(13))-\(suffix)" }

    /// A short-lived, networkless container spec carrying this test's label.
    func spec(_ cmd: [String], labels: [String: String] = [:], hostConfig: HostConfig = HostConfig()) -> ContainerSpec {
        ContainerSpec(image: Self.image, cmd: cmd, labels: labels.merging(["capstan.test": runID]) { a, _ in a },
                      hostConfig: hostConfig)
    }

    /// Fails (never skips) when no engine answers: these tests exist to run against a real one.
    static func run(_ body: (EngineFixture) async throws -> Void) async throws {
        let client = try DockerClient()
        try #require(await client.ping(), """
            No Docker engine answers at \(client.host). Start one and export DOCKER_HOST with: \
            eval "$(scripts/docker-engine.sh)"
            """)
        let fixture = EngineFixture(client: client)
        let outcome: Result<Void, any Error>
        do {
            try await body(fixture)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        await fixture.removeEverything()
        try outcome.get()
    }

    private func removeEverything() async {
        for container in (try? await client.listContainers(all: true, labels: [label])) ?? [] {
            try? await client.removeContainer(container.id, force: true)
        }
        for image in (try? await client.listImages(labels: [label])) ?? [] {
            try? await client.removeImage(image.id, force: true)
        }
    }
}
