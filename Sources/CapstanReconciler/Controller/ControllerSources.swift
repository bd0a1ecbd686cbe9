import CapstanCore
import CapstanDocker
import CapstanGit
import Foundation

/// The controller's two inputs from the outside world, over the real git and Docker clients.
public enum ControllerSources {
    /// Fetches the remote into a bare mirror under the state directory and reads the branch's
    /// tree. libgit2 blocks, so it runs off the controller's actor.
    public static func git(url: String, branch: String, stateDirectory: String,
                           credentials: GitCredentials = .none) -> Controller.Fetch {
        let mirror = stateDirectory + "/repos/" + sha256Hex(Array(url.utf8)).prefix(16)
        let description = PlanSource(kind: .git, location: RepositoryURL.redacted(url), ref: branch)
        return {
            try await Task.detached {
                let repository = try GitRepository.cloneOrOpen(url: url, into: mirror, credentials: credentials)
                let commit = try repository.resolve(ref: "refs/heads/\(branch)")
                return ManifestSource(tree: try repository.tree(at: commit), revision: commit.description, description: description,
                                      commit: try? repository.commitInfo(commit))
            }.value
        }
    }

    /// Events of this instance's containers as (server, action), from the Engine API stream.
    public static func docker(_ client: DockerClient) -> Controller.Events {
        { instance in
            let upstream = client.events(labels: ["\(OwnershipLabel.managed)=true", "\(OwnershipLabel.instance)=\(instance)"],
                                         types: ["container"])
            return AsyncThrowingStream { continuation in
                let task = Task {
                    do {
                        for try await event in upstream {
                            guard let server = event.attributes[OwnershipLabel.name] else { continue }
                            continuation.yield((server: server, action: event.action))
                        }
                        continuation.finish()
                    } catch {
                        continuation.finish(throwing: error)
                    }
                }
                continuation.onTermination = { _ in task.cancel() }
            }
        }
    }
}
