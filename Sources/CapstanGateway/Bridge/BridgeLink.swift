/// The bridge's session with the gateway, as a pure state machine: which session requests use,
/// when a new one must be opened, and what waits meanwhile. The app opens the first session
/// with its own `initialize`; the link remembers that handshake and opens every later session
/// (after the gateway restarted or forgot the session) by replaying it, so the app never
/// notices. The shell (`Bridge`) performs what the decisions say and reports how it went.
struct BridgeLink: Sendable {
    /// The app's handshake, replayed as it was sent.
    struct Handshake: Sendable, Equatable {
        /// The app's `initialize` request, whole.
        var request: JSONValue
        /// Whether the app has sent `notifications/initialized`; replays send it then too.
        var initialized = false
    }

    /// A session the gateway opened for the bridge.
    struct Session: Sendable, Equatable {
        var generation: Int
        /// `Mcp-Session-Id`; nil if the gateway keeps no sessions.
        var id: String?
        var protocolVersion: String
        /// The `initialize` result, which answers the app's `initialize`.
        var initializeResult: JSONValue
    }

    /// Why no session could be opened.
    enum Failure: Error, Sendable, Equatable {
        /// Nothing answered (connection refused, connection lost, no answer in time).
        case unreachable(String)
        /// The gateway refused the token (HTTP 401).
        case unauthorized
        /// The gateway answered `initialize` with an error.
        case refused(JSONRPCErrorObject)
    }

    enum Phase: Sendable, Equatable {
        /// No `initialize` from the app yet.
        case unopened
        /// `initialize` (the app's or a replay) is on its way for session `generation`.
        case opening(generation: Int)
        case open(Session)
        /// The last attempt failed at `at`; for `.unreachable` another is due at `retryAt`.
        case failed(Failure, generation: Int, at: ContinuousClock.Instant, retryAt: ContinuousClock.Instant?)
    }

    /// What a request should do about a session.
    enum Acquire: Sendable, Equatable {
        case session(Session)
        /// Before the app's `initialize`: send without a session and let the gateway say what is wrong.
        case noSession
        /// Open session `generation` (the caller starts it), then wait like `.wait`.
        case open(generation: Int)
        /// A session is being opened, or an attempt just failed: wait for the next change, or
        /// until `until` (when the caller may start an attempt itself) or its own deadline,
        /// whichever comes first; at that deadline it fails with `lastFailure`.
        case wait(until: ContinuousClock.Instant?)
        case fail(Failure)
    }

    /// What became of an opened session.
    enum Opened: Sendable, Equatable {
        /// The first session of the app's handshake: it answers the app's `initialize`.
        case first(sendInitialized: Bool)
        /// A replay: the app's lists may have changed behind its back.
        case replay(sendInitialized: Bool)
        /// Superseded while it was opening (the app initialized again): end it.
        case stale
    }

    /// Delays between attempts to reach a gateway that does not answer, and how soon a new
    /// request may start an attempt of its own.
    struct RetryPolicy: Sendable, Equatable {
        var first: Duration = .milliseconds(100)
        var maximum: Duration = .seconds(2)
        /// Requests repeat a failed attempt no sooner than this; within it, a 401 is answered
        /// from the last attempt.
        var minimumGap: Duration = .milliseconds(250)

        func delay(afterFailures count: Int) -> Duration {
            var delay = first
            for _ in 1..<max(count, 1) where delay < maximum { delay *= 2 }
            return min(delay, maximum)
        }
    }

    let policy: RetryPolicy
    private(set) var handshake: Handshake?
    private(set) var phase: Phase = .unopened
    /// Why the last attempt to open a session failed, until one opens: what a request that
    /// waited in vain is told.
    private(set) var lastFailure: Failure?
    private var generation = 0
    private var failuresInRow = 0
    /// The first session of the current handshake has been opened (later ones are replays).
    private var handshakeOpened = false
    /// The session to which `notifications/initialized` has been sent.
    private var initializedSentTo = 0

    init(policy: RetryPolicy = RetryPolicy()) { self.policy = policy }

    var currentSession: Session? {
        if case .open(let session) = phase { return session }
        return nil
    }

    // MARK: The app

    /// The app's `initialize`: remembered, and a session opened for it. Returns the
    /// generation to open and the session it replaces, which the caller ends.
    mutating func initialize(_ request: JSONValue) -> (open: Int, replaced: Session?) {
        let replaced = currentSession
        handshake = Handshake(request: request)
        handshakeOpened = false
        failuresInRow = 0
        lastFailure = nil
        generation += 1
        phase = .opening(generation: generation)
        return (generation, replaced)
    }

    /// The app's `notifications/initialized`. Returns the session to send it to now, if one is
    /// open and has not had it; otherwise it goes out with the session being opened.
    mutating func appInitialized() -> Session? {
        guard handshake != nil else { return nil }
        handshake?.initialized = true
        guard let session = currentSession, initializedSentTo != session.generation else { return nil }
        initializedSentTo = session.generation
        return session
    }

    // MARK: Requests

    mutating func acquire(now: ContinuousClock.Instant) -> Acquire {
        switch phase {
        case .unopened:
            return .noSession
        case .open(let session):
            return .session(session)
        case .opening:
            return .wait(until: nil)
        case .failed(let failure, _, let at, _):
            // A request tries again itself, unless an attempt just failed: then a 401 or a
            // refusal is its answer, and for an unreachable gateway it waits a moment. So while
            // requests wait, attempts follow each other closely; the growing delays of the
            // schedule only pace the attempts that nobody waits for.
            let own = at.advanced(by: policy.minimumGap)
            if now >= own { return .open(generation: startOpening()) }
            if case .unreachable = failure { return .wait(until: own) }
            return .fail(failure)
        }
    }

    /// Session `generation` is gone (the gateway answered 404 for it, or does not answer).
    /// Returns the generation to open when the caller must start it; nil when that is already
    /// under way or a newer session is open.
    mutating func lost(_ lostGeneration: Int) -> Int? {
        guard case .open(let session) = phase, session.generation == lostGeneration else { return nil }
        return startOpening()
    }

    // MARK: Opening

    /// The gateway answered `initialize` for `openedGeneration`, before `opened`: whether to
    /// send `notifications/initialized` first (the app has sent it).
    mutating func willOpen(_ openedGeneration: Int) -> Bool {
        guard case .opening(openedGeneration) = phase, handshake?.initialized == true else { return false }
        initializedSentTo = openedGeneration
        return true
    }

    mutating func opened(_ session: Session) -> Opened {
        guard case .opening(session.generation) = phase else { return .stale }
        phase = .open(session)
        failuresInRow = 0
        lastFailure = nil
        // The app's `initialized` may have come while the session was opening.
        let sendInitialized = handshake?.initialized == true && initializedSentTo != session.generation
        if sendInitialized { initializedSentTo = session.generation }
        defer { handshakeOpened = true }
        return handshakeOpened ? .replay(sendInitialized: sendInitialized) : .first(sendInitialized: sendInitialized)
    }

    /// Opening `failedGeneration` failed. Returns when to try again (only for an unreachable
    /// gateway; the caller then calls `retryDue`), or nil.
    mutating func failed(_ failedGeneration: Int, _ failure: Failure, now: ContinuousClock.Instant) -> Duration? {
        guard case .opening(failedGeneration) = phase else { return nil }
        failuresInRow += 1
        lastFailure = failure
        guard case .unreachable = failure else {
            phase = .failed(failure, generation: failedGeneration, at: now, retryAt: nil)
            return nil
        }
        let delay = policy.delay(afterFailures: failuresInRow)
        phase = .failed(failure, generation: failedGeneration, at: now, retryAt: now.advanced(by: delay))
        return delay
    }

    /// A scheduled retry after the failure of `failedGeneration`: the generation to open, or nil
    /// when something else happened meanwhile.
    mutating func retryDue(_ failedGeneration: Int) -> Int? {
        guard case .failed(.unreachable, failedGeneration, _, _) = phase else { return nil }
        return startOpening()
    }

    private mutating func startOpening() -> Int {
        generation += 1
        phase = .opening(generation: generation)
        return generation
    }
}
