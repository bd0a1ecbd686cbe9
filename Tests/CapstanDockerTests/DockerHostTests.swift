@testable import CapstanDocker
import Testing

@Suite struct DockerHostTests {
    @Test func unixSocketPathIsTaken() throws {
        #expect(try DockerHost.parse("unix:///run/capstan-docker/docker.sock") == .unix(path: "/run/capstan-docker/docker.sock"))
    }

    @Test func explicitHostWinsOverEnvironmentWhichWinsOverDefault() throws {
        let env = ["DOCKER_HOST": "unix:///env.sock"]
        #expect(try DockerHost.resolve("unix:///given.sock", environment: env) == .unix(path: "/given.sock"))
        #expect(try DockerHost.resolve(nil, environment: env) == .unix(path: "/env.sock"))
        #expect(try DockerHost.resolve(nil, environment: [:]) == .unix(path: "/var/run/docker.sock"))
    }

    @Test(arguments: ["tcp://127.0.0.1:2375", "tcp://localhost:2375", "tcp://[::1]:2375", "tcp://127.1.2.3"])
    func loopbackTCPIsAccepted(host: String) throws {
        guard case .tcp = try DockerHost.parse(host) else {
            Issue.record("expected a tcp host")
            return
        }
    }

    @Test(arguments: ["tcp://10.0.0.5:2375", "tcp://192.168.1.1:2376", "tcp://docker.example.com:2375",
                      "tcp://127.0.0.1.example.com:2375", "ssh://user@host", "npipe:////./pipe/docker_engine",
                      "unix://relative.sock"])
    func anythingElseIsRefused(host: String) {
        #expect {
            try DockerHost.parse(host)
        } throws: { error in
            guard case .invalidHost(let given, _) = error as? DockerError else { return false }
            return given == host
        }
    }
}
