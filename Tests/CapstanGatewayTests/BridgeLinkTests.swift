import Testing
@testable import CapstanGateway

/// The bridge's session state machine: the app's handshake opens the first session, a lost
/// session is replaced by replaying that handshake, and requests wait, retry or fail. No
/// network, no clock but the instants passed in.
struct BridgeLinkTests {
    typealias Link = BridgeLink

    static let initialize: JSONValue = .object([
        "jsonrpc": .string("2.0"), "id": .int(0), "method": .string("initialize"),
        "params": .object(["protocolVersion": .string("2025-11-25"), "capabilities": .object([:]),
                           "clientInfo": .object(["name": .string("app"), "version": .string("1")])]),
    ])

    static func session(_ generation: Int, listChanged: Bool = true) -> Link.Session {
        Link.Session(generation: generation, id: "session-\(generation)", protocolVersion: "2025-11-25",
                     initializeResult: .object(["protocolVersion": .string("2025-11-25"),
                                                "capabilities": .object(["tools": .object(["listChanged": .bool(listChanged)])])]))
    }

    let t0 = ContinuousClock.now

    /// A link whose first session (generation 1) is open.
    func openLink(initialized: Bool = true) -> Link {
        var link = Link()
        _ = link.initialize(Self.initialize)
        if initialized { _ = link.appInitialized() }
        _ = link.opened(Self.session(1))
        return link
    }

    @Test func requestsBeforeTheAppsInitializeGoOutWithoutASession() {
        var link = Link()
        #expect(link.acquire(now: t0) == .noSession)
        #expect(link.appInitialized() == nil)
        #expect(link.handshake == nil)
    }

    @Test func theAppsInitializeIsRememberedAndRequestsWaitUntilItsSessionOpens() {
        var link = Link()
        let (generation, replaced) = link.initialize(Self.initialize)
        #expect(generation == 1 && replaced == nil)
        #expect(link.handshake == Link.Handshake(request: Self.initialize, initialized: false))
        #expect(link.acquire(now: t0) == .wait(until: nil))
        #expect(link.opened(Self.session(1)) == .first(sendInitialized: false))
        #expect(link.acquire(now: t0) == .session(Self.session(1)))
    }

    @Test func initializedGoesToEachSessionExactlyOnceWhenTheAppSentIt() {
        // Sent by the app while the first session was opening: the opening sends it.
        var early = Link()
        _ = early.initialize(Self.initialize)
        #expect(early.appInitialized() == nil)
        do { let sends = early.willOpen(1); #expect(sends) }
        #expect(early.opened(Self.session(1)) == .first(sendInitialized: false))
        #expect(early.appInitialized() == nil, "already sent to session 1")

        // Sent after the session opened: forwarded to it at once, and only once.
        var late = Link()
        _ = late.initialize(Self.initialize)
        do { let sends = late.willOpen(1); #expect(!sends) }
        #expect(late.opened(Self.session(1)) == .first(sendInitialized: false))
        #expect(late.appInitialized() == Self.session(1))
        #expect(late.appInitialized() == nil)

        // Arriving between willOpen and opened: opened says to send it.
        var between = Link()
        _ = between.initialize(Self.initialize)
        do { let sends = between.willOpen(1); #expect(!sends) }
        #expect(between.appInitialized() == nil)
        #expect(between.opened(Self.session(1)) == .first(sendInitialized: true))

        // A replay sends it again to the new session, because the app sent it.
        var link = openLink()
        #expect(link.lost(1) == 2)
        do { let sends = link.willOpen(2); #expect(sends) }
        #expect(link.opened(Self.session(2)) == .replay(sendInitialized: false))
    }

    @Test func aReplayIsNotSentInitializedWhenTheAppNeverSentIt() {
        var link = openLink(initialized: false)
        #expect(link.lost(1) == 2)
        do { let sends = link.willOpen(2); #expect(!sends) }
        #expect(link.opened(Self.session(2)) == .replay(sendInitialized: false))
    }

    @Test func aLostSessionIsReplacedOnceWhateverNumberOfRequestsNoticed() {
        var link = openLink()
        #expect(link.lost(1) == 2, "the first to notice starts the replay")
        #expect(link.lost(1) == nil, "the others wait for it")
        #expect(link.acquire(now: t0) == .wait(until: nil))
        #expect(link.opened(Self.session(2)) == .replay(sendInitialized: true))
        #expect(link.lost(1) == nil, "news about an old session changes nothing")
        #expect(link.acquire(now: t0) == .session(Self.session(2)))
        #expect(link.handshake?.request == Self.initialize, "the replay is the app's own initialize")
    }

    @Test func anUnreachableGatewayIsRetriedWithGrowingDelaysUpToTheMaximum() {
        var link = openLink()
        var generation = link.lost(1)!
        var delays: [Duration] = []
        for step in 0..<8 {
            let now = t0.advanced(by: .seconds(step))
            guard let delay = link.failed(generation, .unreachable("connection refused"), now: now) else {
                Issue.record("no retry scheduled")
                return
            }
            delays.append(delay)
            #expect(link.acquire(now: now) == .wait(until: now.advanced(by: .milliseconds(250))),
                    "a request right after a failure waits a moment, whatever the schedule says")
            generation = link.retryDue(generation)!
        }
        #expect(delays == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800),
                           .milliseconds(1600), .seconds(2), .seconds(2), .seconds(2)])
        #expect(link.lastFailure == .unreachable("connection refused"), "what a request that waits in vain is told")
        #expect(link.opened(Self.session(generation)) == .replay(sendInitialized: true))
        #expect(link.lastFailure == nil)
        #expect(link.failed(generation, .unreachable("x"), now: t0) == nil, "a failure of a session that opened is old news")
        #expect(link.lost(generation) == generation + 1)
        #expect(link.failed(generation + 1, .unreachable("x"), now: t0) == .milliseconds(100), "success resets the delays")
    }

    @Test func waitingRequestsTryAgainAMomentAfterAFailureNotOnTheSlowSchedule() {
        var link = openLink()
        let generation = link.lost(1)!
        _ = link.failed(generation, .unreachable("connection refused"), now: t0)
        #expect(link.acquire(now: t0.advanced(by: .milliseconds(249))) == .wait(until: t0.advanced(by: .milliseconds(250))))
        #expect(link.acquire(now: t0.advanced(by: .milliseconds(250))) == .open(generation: generation + 1))
        #expect(link.retryDue(generation) == nil, "the scheduled retry is superseded")
        #expect(link.acquire(now: t0.advanced(by: .seconds(1))) == .wait(until: nil))
    }

    @Test func aRefusedTokenFailsRequestsAtOnceAndIsTriedAgainLater() {
        var link = Link()
        _ = link.initialize(Self.initialize)
        #expect(link.failed(1, .unauthorized, now: t0) == nil, "a refused token is not retried on a schedule")
        #expect(link.acquire(now: t0.advanced(by: .milliseconds(10))) == .fail(.unauthorized))
        #expect(link.retryDue(1) == nil)
        #expect(link.acquire(now: t0.advanced(by: .seconds(1))) == .open(generation: 2), "perhaps the token was added since")

        let refusal = JSONRPCErrorObject(code: -32602, message: "bad params")
        #expect(link.failed(2, .refused(refusal), now: t0) == nil)
        #expect(link.acquire(now: t0) == .fail(.refused(refusal)))
    }

    @Test func aSecondInitializeFromTheAppReplacesTheHandshakeAndTheSession() {
        var link = openLink()
        var second = Self.initialize
        if case .object(var object) = second {
            object["id"] = .int(7)
            second = .object(object)
        }
        let (generation, replaced) = link.initialize(second)
        #expect(generation == 2 && replaced == Self.session(1))
        #expect(link.handshake == Link.Handshake(request: second, initialized: false))
        #expect(link.opened(Self.session(2)) == .first(sendInitialized: false), "it answers the app's new initialize")
    }

    @Test func aSessionThatOpensAfterBeingSupersededIsStale() {
        var link = Link()
        _ = link.initialize(Self.initialize)
        _ = link.initialize(Self.initialize)
        #expect(link.opened(Self.session(1)) == .stale)
        #expect(link.opened(Self.session(2)) == .first(sendInitialized: false))
        #expect(link.currentSession == Self.session(2))
    }
}
