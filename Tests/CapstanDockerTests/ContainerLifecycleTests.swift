import CapstanDocker
import Foundation
import Testing

@Suite struct ContainerLifecycleTests {
    @Test func hardenedHostConfigIsAppliedAsAsked() async throws {
        try await EngineFixture.run { fx in
            let hardened = HostConfig(
                networkMode: "none", readonlyRootfs: true, tmpfs: ["/tmp": "rw,noexec,nosuid,size=16m"],
                capDrop: ["ALL"], securityOpt: ["no-new-privileges"], pidsLimit: 64,
                memory: 64 << 20, nanoCpus: 500_000_000, privileged: false)
            // Writing /tmp must work and writing / must not: the limits are real, not just recorded.
            let script = """
                open('/tmp/ok', 'w').write('x')
                try:
                    open('/nope', 'w')
                except OSError:
                    raise SystemExit(0)
                raise SystemExit(9)
                """
            var spec = fx.spec(["python", "-c", script], hostConfig: hardened)
            spec.user = "65534:65534"
            let id = try await fx.client.createContainer(name: fx.name("hardened"), spec: spec)
            let details = try #require(try await fx.client.inspectContainer(id))
            let host = details.hostConfig
            #expect(host.networkMode == "none")
            #expect(host.readonlyRootfs)
            #expect(host.tmpfs == ["/tmp": "rw,noexec,nosuid,size=16m"])
            #expect(host.capDrop == ["ALL"])
            #expect(host.capAdd.isEmpty)
            #expect(host.securityOpt == ["no-new-privileges"])
            #expect(host.pidsLimit == 64)
            #expect(host.memory == 64 << 20)
            #expect(host.nanoCpus == 500_000_000)
            #expect(!host.privileged)
            #expect(details.config.user == "65534:65534")
            #expect(details.config.labels["capstan.test"] == fx.runID)
            #expect(details.name == fx.name("hardened"))
            #expect(details.image.hasPrefix("sha256:"))

            try await fx.client.startContainer(id)
            #expect(try await fx.client.waitContainer(id) == 0)
        }
    }

    @Test func startWaitReturnsTheExitCodeAndLogsAreDemultiplexed() async throws {
        try await EngineFixture.run { fx in
            let spec = fx.spec(["python", "-c", "import sys; print('to stdout'); print('to stderr', file=sys.stderr); sys.exit(7)"])
            let id = try await fx.client.createContainer(name: fx.name("exit7"), spec: spec)
            #expect(try await fx.client.inspectContainer(id)?.state.status == "created")
            try await fx.client.startContainer(id)
            #expect(try await fx.client.waitContainer(id) == 7)
            let state = try #require(try await fx.client.inspectContainer(id)).state
            #expect(state.status == "exited")
            #expect(state.exitCode == 7)
            #expect(!state.running)
            #expect(state.finishedAt != nil)
            let logs = try await fx.client.containerLogs(id)
            #expect(logs.contains("to stdout\n"))
            #expect(logs.contains("to stderr\n"))
            #expect(try await fx.client.containerLogs(id, tail: 1).split(separator: "\n").count == 1)
        }
    }

    @Test func stopEndsARunningContainer() async throws {
        try await EngineFixture.run { fx in
            let id = try await fx.client.createContainer(name: fx.name("sleeper"), spec: fx.spec(["sleep", "30"]))
            try await fx.client.startContainer(id)
            // Starting twice is not an error (the engine answers 304).
            try await fx.client.startContainer(id)
            let running = try #require(try await fx.client.inspectContainer(id)).state
            #expect(running.running)
            #expect(running.pid > 0)
            #expect(running.startedAt != nil)
            // `sleep` as PID 1 ignores SIGTERM, so the stop ends in SIGKILL after the timeout.
            try await fx.client.stopContainer(id, timeout: 1)
            let stopped = try #require(try await fx.client.inspectContainer(id)).state
            #expect(!stopped.running)
            #expect(stopped.exitCode == 137)
            await #expect(throws: DockerError.self) { try await fx.client.killContainer(id) }
        }
    }

    @Test func renameMovesTheName() async throws {
        try await EngineFixture.run { fx in
            let id = try await fx.client.createContainer(name: fx.name("before"), spec: fx.spec(["true"]))
            try await fx.client.renameContainer(id, to: fx.name("after"))
            #expect(try await fx.client.inspectContainer(fx.name("after"))?.id == id)
            #expect(try await fx.client.inspectContainer(fx.name("before")) == nil)
        }
    }

    @Test func listingByLabelSeesOnlyLabelledContainers() async throws {
        try await EngineFixture.run { fx in
            let a = try await fx.client.createContainer(name: fx.name("a"), spec: fx.spec(["true"], labels: ["capstan.role": "a"]))
            let b = try await fx.client.createContainer(name: fx.name("b"), spec: fx.spec(["true"], labels: ["capstan.role": "b"]))
            let plain = try await fx.client.createContainer(name: fx.name("plain"), spec: fx.spec(["true"]))

            let mine = try await fx.client.listContainers(labels: [fx.label])
            #expect(Set(mine.map(\.id)) == [a, b, plain])
            let onlyA = try await fx.client.listContainers(labels: [fx.label, "capstan.role=a"])
            #expect(onlyA.map(\.id) == [a])
            let withRole = try await fx.client.listContainers(labels: [fx.label, "capstan.role"])
            #expect(Set(withRole.map(\.id)) == [a, b])
            // `all: false` hides containers that are not running.
            #expect(try await fx.client.listContainers(all: false, labels: [fx.label]).isEmpty)

            let summary = try #require(onlyA.first)
            #expect(summary.names == [fx.name("a")])
            #expect(summary.image == EngineFixture.image)
            #expect(summary.imageID.hasPrefix("sha256:"))
            #expect(summary.labels["capstan.role"] == "a")
            #expect(summary.state == "created")
            #expect(abs(summary.created.timeIntervalSinceNow) < 300)
        }
    }

    @Test func removedContainerInspectsAsNil() async throws {
        try await EngineFixture.run { fx in
            let id = try await fx.client.createContainer(name: fx.name("doomed"), spec: fx.spec(["true"]))
            try await fx.client.removeContainer(id, force: true, removeVolumes: true)
            #expect(try await fx.client.inspectContainer(id) == nil)
            await #expect {
                try await fx.client.removeContainer(id)
            } throws: { error in
                guard case .notFound = error as? DockerError else { return false }
                return true
            }
        }
    }

    @Test func creatingATakenNameIsAConflictWithTheEnginesMessage() async throws {
        try await EngineFixture.run { fx in
            let name = fx.name("taken")
            let first = try await fx.client.createContainer(name: name, spec: fx.spec(["true"]))
            await #expect {
                _ = try await fx.client.createContainer(name: name, spec: fx.spec(["true"]))
            } throws: { error in
                guard case .conflict(let endpoint, let message) = error as? DockerError else { return false }
                return endpoint.hasSuffix("/containers/create") && message.contains(name)
                    && message.contains("already in use") && message.contains(first)
            }
        }
    }

    @Test func creatingFromAMissingImageIsNotFound() async throws {
        try await EngineFixture.run { fx in
            var spec = fx.spec(["true"])
            spec.image = "capstan-test/missing-\(fx.runID):none"
            await #expect {
                _ = try await fx.client.createContainer(name: fx.name("noimage"), spec: spec)
            } throws: { error in
                guard case .notFound(_, let message) = error as? DockerError else { return false }
                return message.contains("No such image")
            }
        }
    }
}
