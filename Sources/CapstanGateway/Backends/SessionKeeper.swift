import Synchronization

/// A backend's session with its server, as far as the backend's users can tell.
protocol KeptSession: Sendable {
    /// Numbers the sessions of one backend in order; calls are tagged with it, so the end of
    /// one session fails exactly its calls.
    var generation: Int { get }
    /// What the server answered to `initialize`.
    var initializeResult: JSONObject { get }
}

/// How a backend opens and drops sessions; the keeper decides when.
protocol SessionOwner: AnyObject, Sendable {
    associatedtype Session: KeptSession
    /// Opens and initializes a session (numbers from `SessionKeeper.nextGeneration`).
    func connect() async -> Result<Session, BackendError>
    /// A session that is not wanted any more (the backend closed while it was being opened).
    func discard(_ session: Session)
    /// A session replaced an earlier one: the server may have changed.
    func reconnected()
}

/// The life cycle of a backend's session: opened lazily by the first call that needs it,
/// shared by every call while it lasts, opened again by the first call after it ended. Calls
/// that arrive while a session is being opened wait for the same attempt, each up to its own
/// deadline. After a failed attempt calls fail at once with its error for `retryDelay`, so a
/// broken server is not hammered by every call.
final class SessionKeeper<Session: KeptSession>: Sendable {
    static var retryDelay: Duration { .seconds(1) }

    private enum Phase {
        case idle(failure: (error: BackendError, at: ContinuousClock.Instant)?)
        case connecting(Rendezvous<Result<Session, BackendError>>)
        case ready(Session)
        case closed
    }

    private enum Next {
        case ready(Session)
        case wait(Rendezvous<Result<Session, BackendError>>, start: Bool)
        case fail(BackendError)
    }

    private struct State {
        var phase: Phase = .idle(failure: nil)
        var generation = 0
        var endedGeneration = 0
    }

    let server: String
    private let state = Mutex(State())

    init(server: String) { self.server = server }

    var closedError: BackendError { .unavailable(server: server, reason: "the gateway closed its connection to the server") }

    func nextGeneration() -> Int {
        state.withLock { state in
            state.generation += 1
            return state.generation
        }
    }

    var current: Session? {
        state.withLock { state in
            if case .ready(let session) = state.phase { return session }
            return nil
        }
    }

    func session<Owner: SessionOwner>(for owner: Owner, until deadline: ContinuousClock.Instant,
                                      timeout: Duration) async throws(BackendError) -> Session where Owner.Session == Session {
        let next = state.withLock { state -> Next in
            switch state.phase {
            case .ready(let session):
                return .ready(session)
            case .connecting(let attempt):
                return .wait(attempt, start: false)
            case .closed:
                return .fail(closedError)
            case .idle(let failure):
                if let failure, ContinuousClock.now < failure.at.advanced(by: Self.retryDelay) { return .fail(failure.error) }
                let attempt = Rendezvous<Result<Session, BackendError>>()
                state.phase = .connecting(attempt)
                return .wait(attempt, start: true)
            }
        }
        switch next {
        case .ready(let session):
            return session
        case .fail(let error):
            throw error
        case .wait(let attempt, let start):
            if start {
                Task { self.finish(attempt, await owner.connect(), owner: owner) }
            }
            guard let result = await attempt.value(until: deadline) else {
                if Task.isCancelled { throw .cancelled }
                throw .timeout(server: server, after: timeout)
            }
            return try result.get()
        }
    }

    private func finish<Owner: SessionOwner>(_ attempt: Rendezvous<Result<Session, BackendError>>,
                                             _ result: Result<Session, BackendError>, owner: Owner) where Owner.Session == Session {
        let (current, reconnected) = state.withLock { state -> (Bool, Bool) in
            guard case .connecting(let pending) = state.phase, pending === attempt else { return (false, false) }
            switch result {
            case .success(let session) where session.generation > state.endedGeneration:
                state.phase = .ready(session)
                return (true, session.generation > 1)
            case .success:
                // It ended between initialize and now; the next call starts over.
                state.phase = .idle(failure: nil)
            case .failure(let error):
                state.phase = .idle(failure: (error, ContinuousClock.now))
            }
            return (true, false)
        }
        if !current, case .success(let session) = result { owner.discard(session) }
        if reconnected { owner.reconnected() }
        attempt.fulfill(result)
    }

    /// Session `generation` is over; the next call opens a new one.
    func ended(_ generation: Int) {
        state.withLock { state in
            state.endedGeneration = max(state.endedGeneration, generation)
            if case .ready(let session) = state.phase, session.generation == generation {
                state.phase = .idle(failure: nil)
            }
        }
    }

    /// No more sessions; returns the open one for the backend to shut.
    func close() -> Session? {
        state.withLock { state -> Session? in
            defer { state.phase = .closed }
            if case .ready(let session) = state.phase { return session }
            return nil
        }
    }
}
