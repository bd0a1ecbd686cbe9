import CapstanDocker
import Synchronization

/// An MCP server that speaks stdio in a long-lived container, reached through the Docker
/// attach stream. One session with the server (initialized once) carries every client's
/// requests: ids and progress tokens are the gateway's own on the way in and the caller's again
/// on the way out.
///
/// Threads: a request is written on the calling task's thread; the answer is parsed on the
/// attach stream's reader thread, which resumes the waiting task directly. Progress handlers
/// and list-change handlers run on that reader thread too, so they must be quick.
///
/// The session is opened lazily by the first call and again by the first call after it ended
/// (the container stopped, the stream broke): inspect the container, start it if it is not
/// running, attach, initialize. A server that does not answer initialize in time (or refuses
/// it) gets its container restarted and one more try.
public final class StdioBackend: SessionBackend {
    public let server: String
    public let container: String
    private let docker: DockerClient
    private let initializeTimeout: Duration
    private let startupTimeout: Duration
    let requestTimeout: Duration
    let core: BackendCore
    let sessions: SessionKeeper<Session>
    private let logHandlers = Mutex<[@Sendable (String) -> Void]>([])

    /// How long a stopping container gets before SIGKILL when the backend restarts it.
    static let restartStopTimeout = 2

    struct Session: KeptSession {
        let generation: Int
        let stream: AttachedStream
        let protocolVersion: String
        let initializeResult: JSONObject
    }

    /// `container` is the name (or id) of the server's container, created by `apply` with
    /// `OpenStdin` and without `StdinOnce`. `initializeTimeout` bounds a running server's answer
    /// to `initialize`; `startupTimeout` replaces it when the backend has just started the
    /// container itself, so the process also has to start up. `requestTimeout` bounds the
    /// gateway's own requests (the list fetches) and the wait for a session in `list` and
    /// `serverCapabilities`.
    public init(server: String, container: String, docker: DockerClient,
                initializeTimeout: Duration = .seconds(5), startupTimeout: Duration = .seconds(30),
                requestTimeout: Duration = .seconds(30)) {
        self.server = server
        self.container = container
        self.docker = docker
        self.initializeTimeout = initializeTimeout
        self.startupTimeout = startupTimeout
        self.requestTimeout = requestTimeout
        core = BackendCore(server: server)
        sessions = SessionKeeper(server: server)
    }

    // MARK: MCPBackend

    public func send(_ request: JSONRPCMessage, timeout: Duration,
                     onNotification: @escaping @Sendable (JSONRPCMessage) -> Void) async throws(BackendError) -> JSONRPCMessage {
        guard case .request(let callerID, let method, let params) = request else {
            throw .protocolViolation(server: server, reason: "only requests go through a backend")
        }
        let deadline = BackendCore.deadline(after: timeout)
        var retried = false
        while true {
            let session = try await sessions.session(for: self, until: deadline, timeout: timeout)
            let (id, outcome) = await core.call(method: method, params: params, callerID: callerID,
                                                timeout: ContinuousClock.now.duration(to: deadline),
                                                generation: session.generation, onNotification: onNotification) { _, message in
                Self.transmit(message, on: session.stream)
            }
            switch outcome {
            case .success(let answer):
                return answer
            case .failure(.notSent), .failure(.sessionExpired):
                // The session ended before the request went out: the server never saw it.
                sessions.ended(session.generation)
                guard !retried else {
                    throw .unavailable(server: server, reason: "the server's session ended before the request could be sent")
                }
                retried = true
            case .failure(.failed(let error)):
                switch error {
                case .timeout:
                    _ = Self.transmit(BackendMessages.cancelled(id: id, reason: "the gateway's timeout of \(timeout) passed").json, on: session.stream)
                    throw .timeout(server: server, after: timeout)
                case .cancelled:
                    _ = Self.transmit(BackendMessages.cancelled(id: id, reason: "the client cancelled the request").json, on: session.stream)
                    throw .cancelled
                default:
                    throw error
                }
            }
        }
    }

    public func close() async {
        let session = sessions.close()
        core.table.close(sessions.closedError)
        session?.stream.close()
    }

    // MARK: Beyond the protocol

    /// Notifications from the server that belong to no request (`notifications/message` logs,
    /// `notifications/resources/updated`, …). Without a handler they are dropped.
    public func onServerNotification(_ handler: @escaping @Sendable (JSONRPCMessage) -> Void) {
        core.onServerNotification(handler)
    }

    /// The server's stderr lines, and any stdout line that is not JSON-RPC, for the gateway's log.
    public func onServerLog(_ handler: @escaping @Sendable (String) -> Void) {
        logHandlers.withLock { $0.append(handler) }
    }

    /// The protocol version the current session agreed on; nil while not connected.
    public var protocolVersion: String? { sessions.current?.protocolVersion }

    // MARK: Session

    func discard(_ session: Session) { session.stream.close() }

    /// A new session may be a new server (the container was replaced or restarted): the lists
    /// that were cached are stale.
    func reconnected() { core.lists.changed(ListKind.allCases, onlyCached: true) }

    private enum OpenFailure: Error {
        case attach(BackendError)
        case initialize(BackendError)
    }

    func connect() async -> Result<Session, BackendError> {
        do throws(BackendError) {
            guard let details = try await engine({ docker throws(DockerError) in try await docker.inspectContainer(self.container) }) else {
                throw .unavailable(server: server, reason: "its container \(container) does not exist")
            }
            let started = !details.state.running
            if started {
                try await engine { docker throws(DockerError) in try await docker.startContainer(self.container) }
            }
            do throws(OpenFailure) {
                return .success(try await open(tty: details.config.tty, timeout: started ? startupTimeout : initializeTimeout))
            } catch .initialize(let error) where Self.restartHelps(error) {
                // The server is there but not answering: a fresh process gets one more try.
                try await engine { docker throws(DockerError) in try await docker.stopContainer(self.container, timeout: Self.restartStopTimeout) }
                try await engine { docker throws(DockerError) in try await docker.startContainer(self.container) }
            } catch {
                switch error {
                case .attach(let error), .initialize(let error): throw error
                }
            }
            do throws(OpenFailure) {
                return .success(try await open(tty: details.config.tty, timeout: startupTimeout))
            } catch {
                switch error {
                case .attach(let error), .initialize(let error): throw error
                }
            }
        } catch {
            return .failure(error)
        }
    }

    private static func restartHelps(_ error: BackendError) -> Bool {
        switch error {
        case .timeout, .unavailable: true
        case .protocolViolation, .cancelled: false
        }
    }

    /// Attaches and initializes one session.
    private func open(tty: Bool, timeout: Duration) async throws(OpenFailure) -> Session {
        let stream: AttachedStream
        do {
            stream = try await docker.attach(container, tty: tty)
        } catch {
            throw .attach(.unavailable(server: server, reason: "cannot attach to its container \(container): \(Self.describe(error))"))
        }
        let generation = sessions.nextGeneration()
        let core = core
        stream.start(line: { [weak self] output, bytes in
            switch output {
            case .stdout:
                guard let messages = BackendMessages.decode(bytes) else {
                    self?.log("stdout, not JSON-RPC: " + String(decoding: bytes.prefix(2048), as: UTF8.self))
                    return
                }
                for message in messages {
                    if let reply = core.receive(message) { _ = Self.transmit(reply.json, on: stream) }
                }
            case .stderr:
                self?.log(String(decoding: bytes, as: UTF8.self))
            }
        }, end: { [weak self] error in
            let reason = error.map { "the attach stream to its container broke: \(Self.describe($0))" }
                ?? "its container stopped or closed its output"
            self?.sessions.ended(generation)
            core.table.endGeneration(generation, .unavailable(server: core.server, reason: reason))
        })

        let (_, outcome) = await core.call(method: "initialize", params: BackendMessages.initializeParams, callerID: .int(0),
                                           timeout: timeout, generation: generation, onNotification: { _ in }) { _, message in
            Self.transmit(message, on: stream)
        }
        do throws(BackendError) {
            let answer: JSONRPCMessage
            switch outcome {
            case .success(let message): answer = message
            case .failure(.failed(let error)): throw error
            case .failure(.notSent), .failure(.sessionExpired):
                throw .unavailable(server: server, reason: "its container stopped or closed its output during initialize")
            }
            let (version, result) = try BackendMessages.accept(initializeAnswer: answer, server: server)
            if Self.transmit(BackendMessages.initialized.json, on: stream) != nil {
                throw .unavailable(server: server, reason: "its container stopped or closed its output during initialize")
            }
            return Session(generation: generation, stream: stream, protocolVersion: version, initializeResult: result)
        } catch {
            stream.close()
            throw .initialize(error)
        }
    }

    private func log(_ line: String) {
        for handler in logHandlers.withLock({ $0 }) { handler(line) }
    }

    /// One message as one line on the server's stdin.
    private static func transmit(_ message: JSONValue, on stream: AttachedStream) -> CallFailure? {
        var line = message.bytes
        line.append(UInt8(ascii: "\n"))
        do {
            try stream.write(line)
            return nil
        } catch {
            return .notSent
        }
    }

    private func engine<T>(_ body: (DockerClient) async throws(DockerError) -> T) async throws(BackendError) -> T {
        do {
            return try await body(docker)
        } catch {
            throw .unavailable(server: server, reason: "container \(container): \(Self.describe(error))")
        }
    }

    static func describe(_ error: DockerError) -> String {
        switch error {
        case .transport(_, let reason): reason
        case .notFound(_, let message), .conflict(_, let message): message
        case .engine(let status, _, let message): "the engine answered \(status): \(message)"
        case .streamClosed: "the stream is closed"
        default: "\(error)"
        }
    }
}
