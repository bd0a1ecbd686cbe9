/// `plan(desired, observed)`: a pure function from what the repository asks for and what
/// Docker runs to the actions that close the gap. No I/O, no clock.
public enum Planner {
    public static func containerName(instance: String, server: String) -> String {
        "\(instance)-\(server)"
    }

    public static func plan(desired: DesiredState, observed: ObservedState) -> Plan {
        var actions: [PlannedAction] = []

        let builtProjects = Set(observed.imagesByTag.keys.compactMap { tag -> String? in
            guard tag.hasPrefix("capstan/"), let colon = tag.lastIndex(of: ":") else { return nil }
            return String(tag[tag.index(tag.startIndex, offsetBy: "capstan/".count)..<colon])
        })
        for image in desired.images.sorted(by: { $0.project < $1.project }) {
            let address = "image.\(image.project)"
            let wanted = ResourceSummary(state: "present", image: image.tag)
            if observed.imagesByTag[image.tag] != nil {
                actions.append(PlannedAction(address: address, kind: .noop, reason: "image up to date", before: wanted, after: wanted))
            } else {
                let reason = builtProjects.contains(image.project) ? "project files changed" : "no image built for this project yet"
                actions.append(PlannedAction(address: address, kind: .build, reason: reason, after: wanted))
            }
        }

        // Containers of one server: the one with the canonical name is the server's; any other
        // (left over from an interrupted replace) is removed.
        var byServer: [String: [ObservedContainer]] = [:]
        for c in observed.containers { byServer[c.server, default: []].append(c) }
        let desiredNames = Set(desired.servers.map(\.name))

        for server in desired.servers.sorted(by: { $0.name < $1.name }) {
            let name = containerName(instance: desired.instance, server: server.name)
            let existing = byServer[server.name] ?? []
            let primary = existing.first { $0.name == name } ?? existing.first
            actions.append(serverAction(server, primary: primary, desired: desired, observed: observed))
            for stray in existing where stray.id != primary?.id {
                actions.append(PlannedAction(address: "container.\(stray.id.prefix(12))", kind: .delete,
                                             reason: "duplicate container of server \(server.name)",
                                             before: summary(stray)))
            }
        }
        for (server, containers) in byServer.sorted(by: { $0.key < $1.key }) where !desiredNames.contains(server) {
            for c in containers {
                actions.append(PlannedAction(address: containers.count == 1 ? "server.\(server)" : "container.\(c.id.prefix(12))",
                                             kind: .delete, reason: "no longer in the repository", before: summary(c)))
            }
        }
        let routes = observed.routes.map {
            RoutePlan(observedGeneration: $0.generation, changes: RouteDiff.changes(desired: desired.routes, observed: $0.table))
        }
        return Plan(instance: desired.instance, revision: desired.revision, observedFingerprint: observed.fingerprint,
                    actions: actions, desired: desired, routes: routes)
    }

    private static func serverAction(_ server: DesiredServer, primary: ObservedContainer?,
                                     desired: DesiredState, observed: ObservedState) -> PlannedAction {
        let address = "server.\(server.name)"
        var dependsOn: [String] = []
        var desiredHash: String?
        let imageDisplay: String
        switch server.image {
        case .resolved(let id):
            desiredHash = server.spec(withImage: id).hash
            imageDisplay = id
        case .build(let project):
            dependsOn = ["image.\(project)"]
            imageDisplay = "(built from project \(project))"
        }
        let after = ResourceSummary(containerName: containerName(instance: desired.instance, server: server.name),
                                    state: "running", image: imageDisplay, specHash: desiredHash, revision: desired.revision)
        guard let c = primary else {
            return PlannedAction(address: address, kind: .create, reason: "container missing", after: after, dependsOn: dependsOn)
        }
        let before = summary(c)
        guard let desiredHash else {
            var changes = c.spec.map { server.spec(withImage: "(known after build)").changes(from: $0) } ?? []
            if changes.isEmpty { changes = [FieldChange(field: "image", before: c.spec?.image, after: "(known after build)")] }
            return PlannedAction(address: address, kind: .replace, reason: "image rebuilt", changes: changes,
                                 before: before, after: after, dependsOn: dependsOn)
        }
        if c.specHash != desiredHash || c.state == .dead || c.state == .removing {
            let changes = c.spec.map { server.spec(withImage: imageDisplay).changes(from: $0) } ?? []
            let reason: String
            if c.state == .dead || c.state == .removing {
                reason = "container is \(c.state.rawValue)"
            } else if changes.isEmpty {
                reason = c.spec == nil ? "container was not made by this version of capstan" : "spec changed"
            } else {
                reason = changes.prefix(3).map(\.summary).joined(separator: ", ") + (changes.count > 3 ? ", …" : "")
            }
            return PlannedAction(address: address, kind: .replace, reason: reason, changes: changes,
                                 before: before, after: after, dependsOn: dependsOn)
        }
        // Killed between removing the old container and renaming the new one, a replace leaves the
        // server running under its temporary name, where the gateway's routes do not reach it.
        if c.name != after.containerName {
            return PlannedAction(address: address, kind: .replace,
                                 reason: "container is named \(c.name), not \(after.containerName ?? "") (an interrupted replace)",
                                 before: before, after: after, dependsOn: dependsOn)
        }
        switch c.state {
        case .running, .restarting:
            return PlannedAction(address: address, kind: .noop, reason: "up to date", before: before, after: after)
        case .paused:
            return PlannedAction(address: address, kind: .noop, reason: "paused by hand; left as it is", before: before, after: after)
        case .created, .exited, .dead, .removing:
            let reason = c.state == .created ? "container created but not started" : "container stopped"
            return PlannedAction(address: address, kind: .start, reason: reason, before: before, after: after)
        }
    }

    private static func summary(_ c: ObservedContainer) -> ResourceSummary {
        ResourceSummary(containerID: c.id, containerName: c.name, state: c.state.rawValue, image: c.spec?.image,
                        specHash: c.specHash, revision: c.revision)
    }
}
