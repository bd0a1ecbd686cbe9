import Foundation

/// Stops a crashing server from being restarted forever: at most `limit` restarts in `window`
/// per server, then the server is crash-looping and left alone until its spec changes or
/// someone asks for it by name. Pure: time comes in as an argument.
public struct RestartBudget: Sendable {
    public var limit: Int
    public var window: TimeInterval
    private var restarts: [String: [Date]] = [:]
    /// Server → the spec hash it was crash-looping with.
    private var crashLooping: [String: String] = [:]

    public init(limit: Int = 5, window: TimeInterval = 300) {
        self.limit = limit
        self.window = window
    }

    /// Whether the server may be (re)started now; records the restart when it may. Once the
    /// budget is spent the server is marked crash-looping with this spec hash.
    public mutating func allowRestart(of server: String, specHash: String, at now: Date) -> Bool {
        if isCrashLooping(server, specHash: specHash) { return false }
        var recent = (restarts[server] ?? []).filter { now.timeIntervalSince($0) < window }
        guard recent.count < limit else {
            crashLooping[server] = specHash
            restarts[server] = recent
            return false
        }
        recent.append(now)
        restarts[server] = recent
        return true
    }

    /// True while the server is marked and its spec is still the one it crashed with.
    public func isCrashLooping(_ server: String, specHash: String?) -> Bool {
        guard let marked = crashLooping[server] else { return false }
        return specHash == nil || marked == specHash
    }

    public var crashLoopingServers: Set<String> { Set(crashLooping.keys) }

    /// Restarts recorded within the window before `now`.
    public func restartCount(of server: String, at now: Date) -> Int {
        (restarts[server] ?? []).filter { now.timeIntervalSince($0) < window }.count
    }

    /// A spec change or a manual sync of the server gives it a fresh budget.
    public mutating func reset(_ server: String) {
        crashLooping[server] = nil
        restarts[server] = nil
    }
}

/// Exponential backoff with jitter for retrying git and engine errors: 1 s, 2 s, 4 s, … up to
/// `maximum`, each scaled by a random factor in [0.5, 1] so that many controllers do not retry
/// in step. The random source is injected so tests need not sleep or guess.
public struct Backoff: Sendable {
    public var base: TimeInterval = 1
    public var maximum: TimeInterval = 300

    public init(base: TimeInterval = 1, maximum: TimeInterval = 300) {
        self.base = base
        self.maximum = maximum
    }

    public func delay(afterFailures failures: Int, random: Double) -> TimeInterval {
        guard failures > 0 else { return 0 }
        let raw = min(maximum, base * pow(2, Double(min(failures - 1, 30))))
        return raw * (0.5 + 0.5 * min(max(random, 0), 1))
    }
}
