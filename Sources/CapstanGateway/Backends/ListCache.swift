import Synchronization

/// A backend's lists (tools, prompts, resources, templates), each fetched in full once and kept
/// until the server says it changed. Concurrent first readers share one fetch; a fetch that a
/// change overtook is handed to its waiters but not kept.
final class ListCache: Sendable {
    typealias Fetch = @Sendable (ListKind) async -> Result<[JSONValue], BackendError>

    private struct Loading {
        var version: Int
        var task: Task<Result<[JSONValue], BackendError>, Never>
    }

    private struct State {
        var items: [ListKind: [JSONValue]] = [:]
        var loading: [ListKind: Loading] = [:]
        /// Bumped by every change, so a fetch can tell whether it is still current.
        var versions: [ListKind: Int] = [:]
        var handlers: [@Sendable (ListKind) -> Void] = []
    }

    private let state = Mutex(State())

    func cached(_ kind: ListKind) -> [JSONValue]? {
        state.withLock { $0.items[kind] }
    }

    func items(_ kind: ListKind, fetch: @escaping Fetch) async throws(BackendError) -> [JSONValue] {
        enum Found { case cached([JSONValue]), loading(Loading) }
        let found = state.withLock { state -> Found in
            if let items = state.items[kind] { return .cached(items) }
            if let loading = state.loading[kind] { return .loading(loading) }
            let loading = Loading(version: state.versions[kind, default: 0], task: Task { await fetch(kind) })
            state.loading[kind] = loading
            return .loading(loading)
        }
        switch found {
        case .cached(let items):
            return items
        case .loading(let loading):
            let result = await loading.task.value
            state.withLock { state in
                guard let current = state.loading[kind], current.task == loading.task else { return }
                state.loading[kind] = nil
                if case .success(let items) = result, state.versions[kind, default: 0] == loading.version {
                    state.items[kind] = items
                }
            }
            return try result.get()
        }
    }

    /// Drops `kinds` and tells the handlers; `onlyCached` limits both to lists that were held
    /// (after a reconnect, lists nobody asked for have not changed for anyone).
    func changed(_ kinds: [ListKind], onlyCached: Bool = false) {
        let (notify, handlers) = state.withLock { state -> ([ListKind], [@Sendable (ListKind) -> Void]) in
            var notify: [ListKind] = []
            for kind in kinds where !onlyCached || state.items[kind] != nil {
                state.items[kind] = nil
                state.versions[kind, default: 0] += 1
                notify.append(kind)
            }
            return (notify, state.handlers)
        }
        for kind in notify {
            for handler in handlers { handler(kind) }
        }
    }

    func onChange(_ handler: @escaping @Sendable (ListKind) -> Void) {
        state.withLock { $0.handlers.append(handler) }
    }
}
