import CapstanDocker
@testable import CapstanReconciler
import Testing

/// An apply whose engine went away says so, instead of libcurl's "localhost port 80".
struct ActionErrorTextTests {
    @Test func aLostEngineIsNamedAndCurlsLocalhostIsLeftOut() {
        let refused = DockerError.transport(
            endpoint: "POST /v1.41/containers/create",
            reason: "Couldn't connect to server: Failed to connect to localhost port 80 after 0 ms: Couldn't connect to server")
        #expect(describe(refused)
            == "no answer from the Docker engine (POST /v1.41/containers/create: Couldn't connect to server); is dockerd running?")
        let cut = DockerError.transport(endpoint: "POST /v1.41/build",
                                        reason: "Transferred a partial file: transfer closed with outstanding read data remaining")
        #expect(describe(cut) == "no answer from the Docker engine (POST /v1.41/build: Transferred a partial file); is dockerd running?")
    }

    @Test func otherFailuresKeepTheirOwnText() {
        let conflict = DockerError.conflict(endpoint: "POST /v1.41/containers/create", message: "name in use")
        #expect(describe(conflict) == String(describing: conflict))
        #expect(describe(ApplyFailure("no container to start")) == "no container to start")
    }
}
