/// A reason the repository, though valid, cannot be planned on this host.
public enum PlanProblem: Error, Sendable, Equatable, CustomStringConvertible {
    case missingSecret(server: String, secret: String, env: String)
    case imageNotFound(server: String, reference: String)

    public var description: String {
        switch self {
        case .missingSecret(let server, let secret, let env):
            return "server \(server): secret \"\(secret)\" (for env \(env)) is not in the secret store"
        case .imageNotFound(let server, let reference):
            return "server \(server): image \(reference) is not on the Docker engine (capstan does not pull; load or build it first)"
        }
    }
}

public struct PlanProblems: Error, Sendable, Equatable {
    public var problems: [PlanProblem]
}

/// Resolves valid manifests into the desired state: context hashes for Projects, image IDs for
/// Servers, secret versions. Pure: every fact about the host comes in as a value.
public enum DesiredStateBuilder {
    /// - Parameters:
    ///   - contextHashes: Project name → the hash of its context archive.
    ///   - imageIDs: image reference or `capstan/…` tag → image ID, for the images on the engine.
    ///   - secretVersion: the version of a secret, or nil when the store lacks it.
    public static func build(manifests: ManifestSet, instance: String, revision: String,
                             contextHashes: [String: String], imageIDs: [String: String],
                             secretVersion: (String) -> String?) -> Result<DesiredState, PlanProblems> {
        var problems: [PlanProblem] = []
        var images: [String: DesiredImage] = [:]
        for project in manifests.projects {
            guard let hash = contextHashes[project.metadata.name.value] else { continue }
            images[project.metadata.name.value] = DesiredImage(
                project: project.metadata.name.value, contextHash: hash, context: project.context.value,
                dockerfile: project.dockerfile.value, buildArgs: project.buildArgs.dictionary, target: project.target)
        }
        var servers: [DesiredServer] = []
        for server in manifests.servers {
            let name = server.metadata.name.value
            var versions: [String: String] = [:]
            var secretNames: [String: String] = [:]
            for ref in server.secrets {
                secretNames[ref.env.value] = ref.secret.value
                if let version = secretVersion(ref.secret.value) {
                    versions[ref.env.value] = version
                } else {
                    problems.append(.missingSecret(server: name, secret: ref.secret.value, env: ref.env.value))
                }
            }
            let source: DesiredServer.ImageSource
            switch server.source {
            case .project(let project):
                // Validation guarantees the Project exists; its image is reused when its tag is there.
                guard let image = images[project.value] else { continue }
                source = imageIDs[image.tag].map { DesiredServer.ImageSource.resolved(id: $0) } ?? .build(project: project.value)
            case .image(let reference):
                guard let id = imageIDs[reference.value] else {
                    problems.append(.imageNotFound(server: name, reference: reference.value))
                    continue
                }
                source = .resolved(id: id)
            }
            servers.append(DesiredServer(name: name, image: source,
                                         spec: RuntimeSpec(server: server, image: "", secretVersions: versions),
                                         secretNames: secretNames))
        }
        guard problems.isEmpty else { return .failure(PlanProblems(problems: problems)) }
        return .success(DesiredState(instance: instance, revision: revision,
                                     images: images.values.sorted { $0.project < $1.project }, servers: servers,
                                     routes: RouteBuilder.build(manifests: manifests, instance: instance)))
    }
}
