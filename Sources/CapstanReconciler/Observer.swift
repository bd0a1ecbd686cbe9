import CapstanCore

/// Reads what the engine runs for an instance into the planner's ObservedState.
public enum Observer {
    public static func observe(_ engine: some ContainerEngine, instance: String) async throws -> ObservedState {
        async let containers = engine.ownedContainers(instance: instance)
        async let images = engine.builtImages()
        return ObservedState(containers: try await containers.compactMap(observed), imagesByTag: try await images)
    }

    /// nil for a container that carries our instance label but no server name: not ours to judge.
    static func observed(_ c: EngineContainer) -> ObservedContainer? {
        guard let server = c.labels[OwnershipLabel.name] else { return nil }
        return ObservedContainer(
            id: c.id, name: c.name, server: server,
            state: ObservedContainer.State(rawValue: c.state) ?? .dead,
            specHash: c.labels[OwnershipLabel.specHash],
            spec: c.labels[OwnershipLabel.spec].flatMap(RuntimeSpec.decode(canonicalJSON:)),
            revision: c.labels[OwnershipLabel.revision])
    }
}
