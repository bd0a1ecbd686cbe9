import CapstanDocker
import Testing

/// Engine failures read as sentences in apply output, status and CLI errors, never as Swift values.
struct DockerErrorTextTests {
    @Test func aLostEngineIsNamedAndCurlsLocalhostIsLeftOut() {
        let refused = DockerError.transport(
            endpoint: "POST /v1.41/containers/create",
            reason: "Couldn't connect to server: Failed to connect to localhost port 80 after 0 ms: Couldn't connect to server")
        #expect("\(refused)"
            == "no answer from the Docker engine (POST /v1.41/containers/create: Couldn't connect to server); is dockerd running?")
        let cut = DockerError.transport(endpoint: "POST /v1.41/build",
                                        reason: "Transferred a partial file: transfer closed with outstanding read data remaining")
        #expect("\(cut)" == "no answer from the Docker engine (POST /v1.41/build: Transferred a partial file); is dockerd running?")
    }

    @Test func aFailedBuildShowsItsMessageAndOnlyTheLastLinesOfOutput() {
        let failed = DockerError.buildFailed(message: "The command '/bin/sh -c false' returned a non-zero code: 1",
                                             logTail: (1...13).map { "line \($0)" })
        #expect("\(failed)" == """
            the image build failed: The command '/bin/sh -c false' returned a non-zero code: 1
                | line 4
                | line 5
                | line 6
                | line 7
                | line 8
                | line 9
                | line 10
                | line 11
                | line 12
                | line 13
            """)
        #expect("\(DockerError.buildFailed(message: "no such file", logTail: []))" == "the image build failed: no such file")
    }

    @Test func engineAnswersKeepTheEndpointAndTheEnginesWords() {
        #expect("\(DockerError.conflict(endpoint: "POST /v1.41/containers/create", message: "name in use"))"
            == "POST /v1.41/containers/create: conflict: name in use")
        #expect("\(DockerError.engine(status: 500, endpoint: "POST /v1.41/containers/x/start", message: "oci runtime error"))"
            == "POST /v1.41/containers/x/start: the engine answered 500: oci runtime error")
        #expect("\(DockerError.unsupportedVersion(engine: "1.24", minimum: "1.41"))"
            == "the Docker engine speaks API 1.24; Capstan needs 1.41 or newer")
    }
}
