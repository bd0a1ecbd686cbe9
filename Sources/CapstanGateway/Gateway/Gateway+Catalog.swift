import CapstanCore
import Synchronization

extension Gateway {
    /// Every routed server's tools: from the list cache when a client has listed them, asked of
    /// the server otherwise (within `timeout`, all servers at once). A server that cannot answer
    /// gets its error instead; one slow server never holds up the others beyond `timeout`.
    public func toolCatalog(timeout: Duration = .seconds(3)) async -> [ServerTools] {
        let servers = routes.table.servers
        let found = await withTaskGroup(of: ServerTools.self) { group in
            for route in servers {
                group.addTask { await self.tools(of: route.name, timeout: timeout) }
            }
            var out: [String: ServerTools] = [:]
            for await entry in group { out[entry.server] = entry }
            return out
        }
        return servers.compactMap { found[$0.name] }
    }

    private func tools(of server: String, timeout: Duration) async -> ServerTools {
        guard let backend = pool.backend(server) else { return ServerTools(server: server, tools: nil, error: "no backend") }
        do throws(BackendError) {
            let items: [JSONValue]
            if let cached = backend.cachedList(.tools) {
                items = cached
            } else if let recent = catalogFailures.recent(server) {
                // A server that just failed to answer is not asked again for a while: every
                // dashboard load would otherwise wait out its timeout.
                return ServerTools(server: server, tools: nil, error: recent)
            } else {
                do throws(BackendError) {
                    items = try await Self.within(timeout, server: server) { () async throws(BackendError) in try await backend.list(.tools) }
                } catch {
                    catalogFailures.record(server, Self.describe(error).1)
                    throw error
                }
            }
            let tools = items.compactMap { item -> OfferedTool? in
                guard let name = item["name"]?.stringValue else { return nil }
                return OfferedTool(name: name, description: item["description"]?.stringValue)
            }
            return ServerTools(server: server, tools: tools)
        } catch {
            return ServerTools(server: server, tools: nil, error: Self.describe(error).1)
        }
    }
}

/// Servers whose tool list could not be had lately, and why.
final class CatalogFailures: Sendable {
    static let retryAfter: Duration = .seconds(30)
    private let failures = Mutex<[String: (at: ContinuousClock.Instant, error: String)]>([:])

    func recent(_ server: String, now: ContinuousClock.Instant = .now) -> String? {
        failures.withLock { failures in
            guard let failure = failures[server] else { return nil }
            if now - failure.at < Self.retryAfter { return failure.error }
            failures[server] = nil
            return nil
        }
    }

    func record(_ server: String, _ error: String, now: ContinuousClock.Instant = .now) {
        failures.withLock { $0[server] = (now, error) }
    }
}
