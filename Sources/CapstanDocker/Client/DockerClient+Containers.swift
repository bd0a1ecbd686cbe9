extension DockerClient {
    /// Containers, stopped ones included unless `all` is false. `labels` filters are `key` or
    /// `key=value`; a container must match every one.
    public func listContainers(all: Bool = true, labels: [String] = []) async throws(DockerError) -> [ContainerSummary] {
        try await sendJSON([ContainerSummary].self, .get, "/containers/json",
                           query: [("all", Self.flag(all))] + Self.filters(["label": labels]))
    }

    /// nil when no container has that ID, ID prefix or name.
    public func inspectContainer(_ idOrName: String) async throws(DockerError) -> ContainerDetails? {
        do {
            return try await sendJSON(ContainerDetails.self, .get, "/containers/\(Self.segment(idOrName))/json")
        } catch .notFound {
            return nil
        }
    }

    /// Creates (does not start) a container and returns its ID. A name in use is `.conflict`;
    /// a missing image is `.notFound` (this client never pulls).
    public func createContainer(name: String, spec: ContainerSpec) async throws(DockerError) -> String {
        struct Created: Decodable { var Id: String }
        return try await sendJSON(Created.self, .post, "/containers/create", query: [("name", name)],
                                  body: Self.encode(spec)).Id
    }

    /// Starting a running container is not an error.
    public func startContainer(_ id: String) async throws(DockerError) {
        _ = try await send(.post, "/containers/\(Self.segment(id))/start")
    }

    /// SIGTERM (or the image's STOPSIGNAL), then SIGKILL after `timeout` seconds. Stopping a
    /// stopped container is not an error.
    public func stopContainer(_ id: String, timeout: Int = 10) async throws(DockerError) {
        _ = try await send(.post, "/containers/\(Self.segment(id))/stop", query: [("t", String(timeout))])
    }

    /// Killing a container that is not running is `.conflict`.
    public func killContainer(_ id: String, signal: String = "SIGKILL") async throws(DockerError) {
        _ = try await send(.post, "/containers/\(Self.segment(id))/kill", query: [("signal", signal)])
    }

    /// `force` kills a running container first; `removeVolumes` also removes its anonymous volumes.
    public func removeContainer(_ id: String, force: Bool = false, removeVolumes: Bool = false) async throws(DockerError) {
        _ = try await send(.delete, "/containers/\(Self.segment(id))",
                           query: [("force", Self.flag(force)), ("v", Self.flag(removeVolumes))])
    }

    public func renameContainer(_ id: String, to newName: String) async throws(DockerError) {
        _ = try await send(.post, "/containers/\(Self.segment(id))/rename", query: [("name", newName)])
    }

    /// Blocks until the container is not running and returns its exit code; returns at once for
    /// a container that already exited (or never started).
    public func waitContainer(_ id: String) async throws(DockerError) -> Int {
        struct Exit: Decodable { var StatusCode: Int }
        return try await sendJSON(Exit.self, .post, "/containers/\(Self.segment(id))/wait",
                                  query: [("condition", "not-running")]).StatusCode
    }

    /// stdout and stderr interleaved, the last `tail` lines (all when nil).
    public func containerLogs(_ id: String, tail: Int? = nil) async throws(DockerError) -> String {
        let response = try await send(.get, "/containers/\(Self.segment(id))/logs",
                                      query: [("stdout", "1"), ("stderr", "1"), ("tail", tail.map(String.init) ?? "all")])
        // Only containers without a TTY multiplex their output; a container removed since
        // cannot say, and multiplexed is the default.
        let tty = try await inspectContainer(id)?.config.tty ?? false
        let bytes = tty ? response.body : LogDemultiplexer.combined(response.body)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// An ID, name or image reference as one path segment.
    static func segment(_ value: String) -> String { QueryString.escapePath(value) }
}
