import CapstanDocker

/// The ContainerEngine over the Docker Engine API.
public struct DockerEngine: ContainerEngine {
    public let client: DockerClient

    public init(client: DockerClient) {
        self.client = client
    }

    public func ownedContainers(instance: String) async throws -> [EngineContainer] {
        let summaries = try await client.listContainers(
            all: true, labels: ["\(OwnershipLabel.managed)=true", "\(OwnershipLabel.instance)=\(instance)"])
        return summaries.map { c in
            EngineContainer(id: c.id, name: c.names.first ?? c.id, state: c.state, labels: c.labels)
        }
    }

    public func builtImages() async throws -> [String: String] {
        var tags: [String: String] = [:]
        for image in try await client.listImages(labels: [OwnershipLabel.project]) {
            for tag in image.repoTags { tags[tag] = image.id }
        }
        return tags
    }

    public func imageID(_ reference: String) async throws -> String? {
        try await client.inspectImage(reference)?.id
    }

    public func build(_ request: BuildRequest, log: @escaping @Sendable (String) -> Void) async throws -> String {
        let options = BuildOptions(tags: [request.tag], dockerfile: request.dockerfile, buildArgs: request.buildArgs,
                                   target: request.target, labels: request.labels)
        return try await client.buildImage(context: request.context, options: options, onLog: log)
    }

    public func create(name: String, _ r: ContainerRecipe) async throws -> String {
        let host = HostConfig(
            networkMode: r.networkMode, readonlyRootfs: r.readOnlyRootFilesystem, tmpfs: r.tmpfs,
            capDrop: r.capDrop, capAdd: r.capAdd, securityOpt: r.securityOpt, pidsLimit: r.pidsLimit,
            memory: r.memoryBytes, nanoCpus: r.nanoCPUs ?? 0, privileged: false,
            restartPolicy: RestartPolicy(name: "no"), init: r.initProcess)
        let spec = ContainerSpec(
            image: r.image, cmd: r.command.isEmpty ? nil : r.command, env: r.env, labels: r.labels, user: r.user,
            openStdin: r.openStdin, stdinOnce: false, attachStdin: false, attachStdout: false, attachStderr: false,
            tty: false, hostConfig: host)
        return try await client.createContainer(name: name, spec: spec)
    }

    public func start(_ id: String) async throws {
        try await client.startContainer(id)
    }

    public func stop(_ id: String, timeoutSeconds: Int) async throws {
        try await client.stopContainer(id, timeout: timeoutSeconds)
    }

    public func remove(_ id: String) async throws {
        try await client.removeContainer(id, force: true, removeVolumes: true)
    }

    public func rename(_ id: String, to name: String) async throws {
        try await client.renameContainer(id, to: name)
    }
}
