import CapstanDocker
import Synchronization
import Testing

@Suite struct ImageTests {
    @Test func inspectingAMissingImageGivesNil() async throws {
        try await EngineFixture.run { fx in
            let missing = try await fx.client.inspectImage("capstan-test/missing-\(fx.runID):none")
            #expect(missing == nil)
        }
    }

    @Test func buildWithArgLabelAndTargetStreamsLogsAndReturnsTheImageID() async throws {
        try await EngineFixture.run { fx in
            let tag = "capstan-test/build-\(fx.runID):v1"
            let greeting = "hello-\(fx.runID)"
            // The `broken` stage after the target fails if built: the target must stop the build.
            let dockerfile = """
                FROM \(EngineFixture.image) AS base
                ARG GREETING
                RUN echo "greeting=$GREETING" && echo "$GREETING" > /greeting && sleep 1
                FROM base AS runtime
                USER 65534
                CMD ["python", "-c", "print(open('/greeting').read())"]
                FROM base AS broken
                RUN exit 7
                """
            let context = TestTar.archive([("docker/Dockerfile.test", dockerfile), ("app.txt", "payload\n")])
            let clock = ContinuousClock()
            let lines = Mutex<[(line: String, at: ContinuousClock.Instant)]>([])
            let id = try await fx.client.buildImage(
                context: context,
                options: BuildOptions(tags: [tag], dockerfile: "docker/Dockerfile.test", buildArgs: ["GREETING": greeting],
                                      target: "runtime", labels: ["capstan.test": fx.runID])
            ) { line in lines.withLock { $0.append((line, clock.now)) } }
            let returned = clock.now

            let log = lines.withLock { $0 }
            #expect(log.contains { $0.line.hasPrefix("Step 1/") })
            #expect(!log.contains { $0.line.contains("exit 7") })
            // The RUN step sleeps after its echo, so a line that arrived while the build ran
            // came at least that second before the build returned.
            let echoed = try #require(log.first { $0.line == "greeting=\(greeting)" })
            #expect(returned - echoed.at >= .milliseconds(900))

            let image = try #require(try await fx.client.inspectImage(tag))
            #expect(image.id == id)
            #expect(image.repoTags == [tag])
            #expect(image.labels["capstan.test"] == fx.runID)
            #expect(image.config.user == "65534")
            #expect(image.config.cmd == ["python", "-c", "print(open('/greeting').read())"])
            #expect(image.created != nil)
            #expect(try await fx.client.listImages(labels: [fx.label]).map(\.id) == [id])

            // Tag, then remove the tags one by one: the image goes with the last.
            try await fx.client.tagImage(id, repository: "capstan-test/build-\(fx.runID)", tag: "v2")
            #expect(try await fx.client.inspectImage(id)?.repoTags.sorted() == [tag, "capstan-test/build-\(fx.runID):v2"])
            try await fx.client.removeImage(tag)
            #expect(try await fx.client.inspectImage(id) != nil)
            try await fx.client.removeImage("capstan-test/build-\(fx.runID):v2")
            #expect(try await fx.client.inspectImage(id) == nil)
        }
    }

    @Test func failingRunStepIsABuildFailureNamingTheStep() async throws {
        try await EngineFixture.run { fx in
            let context = TestTar.archive([("Dockerfile", "FROM \(EngineFixture.image)\nRUN exit 3\n")])
            await #expect {
                _ = try await fx.client.buildImage(
                    context: context,
                    options: BuildOptions(tags: ["capstan-test/fail-\(fx.runID):v1"], labels: ["capstan.test": fx.runID]))
            } throws: { error in
                guard case .buildFailed(let message, let tail) = error as? DockerError else { return false }
                return message.contains("exit 3") && tail.contains { $0.contains("RUN exit 3") }
            }
            let leftover = try await fx.client.inspectImage("capstan-test/fail-\(fx.runID):v1")
            #expect(leftover == nil)
        }
    }

    @Test func dockerfileTheEngineRefusesIsABuildFailureToo() async throws {
        try await EngineFixture.run { fx in
            let context = TestTar.archive([("Dockerfile", "FROM \(EngineFixture.image)\nFROBNICATE now\n")])
            await #expect {
                _ = try await fx.client.buildImage(context: context, options: BuildOptions(labels: ["capstan.test": fx.runID]))
            } throws: { error in
                guard case .buildFailed(let message, _) = error as? DockerError else { return false }
                return message.contains("unknown instruction")
            }
            await #expect {
                _ = try await fx.client.buildImage(context: context, options: BuildOptions(dockerfile: "missing/Dockerfile"))
            } throws: { error in
                guard case .buildFailed(let message, _) = error as? DockerError else { return false }
                return message.contains("missing/Dockerfile")
            }
        }
    }
}
