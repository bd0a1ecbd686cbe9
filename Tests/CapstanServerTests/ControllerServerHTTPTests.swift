import CapstanReconciler
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import ServiceLifecycle
import Testing

@testable import CapstanServer

/// The API over real HTTP: each test runs the server on a loopback port the system picks.
@Suite struct ControllerServerHTTPTests {
    static let secretText = "webhook-secret-for-tests"
    static let adminText = "admin-token-for-tests"

    static func configuration(maxWebhookBodySize: Int = ControllerServerConfiguration.defaultMaxWebhookBodySize) -> ControllerServerConfiguration {
        ControllerServerConfiguration(
            branch: "main",
            port: 0,
            webhookSecret: try! WebhookSecret(Array(secretText.utf8)),
            adminToken: try! AdminToken(adminText),
            maxWebhookBodySize: maxWebhookBodySize
        )
    }

    /// Runs `body` against a live server (HummingbirdTesting's `.live`: a real listener and client).
    func withServer(
        _ api: FakeControllerAPI,
        configuration: ControllerServerConfiguration = Self.configuration(),
        logger: Logger = LogCapture().logger(level: .error),
        _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let server = try ControllerServer(api: api, configuration: configuration, logger: logger)
        try await server.makeApplication().test(.live, body)
    }

    static func signature(_ body: String) -> String {
        WebhookSignature.hexMAC(body: Array(body.utf8), secret: try! WebhookSecret(Array(secretText.utf8)))
    }

    static func name(_ text: String) -> HTTPField.Name { HTTPField.Name(text)! }

    static let pushToMain = #"{"ref":"refs/heads/main","after":"0123456789abcdef0123456789abcdef01234567"}"#

    // MARK: health, readiness, status, metrics

    @Test func healthzAnswersOK() async throws {
        try await withServer(FakeControllerAPI()) { client in
            let response = try await client.execute(uri: "/healthz", method: .get)
            #expect(response.status == .ok)
            #expect(String(buffer: response.body) == "ok\n")
        }
    }

    @Test func readyzIs503UntilTheControllerIsReady() async throws {
        let api = FakeControllerAPI()
        try await withServer(api) { client in
            let before = try await client.execute(uri: "/readyz", method: .get)
            #expect(before.status == .serviceUnavailable)
            await api.setReady(true)
            let after = try await client.execute(uri: "/readyz", method: .get)
            #expect(after.status == .ok)
        }
    }

    @Test func statusIsJSONWithISO8601DatesAndSortedKeys() async throws {
        try await withServer(FakeControllerAPI()) { client in
            let response = try await client.execute(uri: "/api/v1/status", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json; charset=utf-8")
            let text = String(buffer: response.body)
            #expect(text.contains(#""at" : "2026-01-01T00:00:00Z""#))
            #expect(text.contains(#""nextPoll" : "2026-01-01T00:01:00Z""#))
            let keys = ["branch", "instance", "lastAppliedRevision", "lastAttempt", "nextPoll", "repository", "resources"]
            let positions = keys.map { text.range(of: "\n  \"\($0)\"")?.lowerBound }
            #expect(positions.allSatisfy { $0 != nil })
            #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted())

            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            #expect(try decoder.decode(ControllerStatus.self, from: Data(buffer: response.body)) == FakeControllerAPI.sampleStatus)
        }
    }

    @Test func metricsUseThePrometheusTextFormat() async throws {
        try await withServer(FakeControllerAPI()) { client in
            let response = try await client.execute(uri: "/metrics", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            #expect(String(buffer: response.body).contains("capstan_syncs_total 3"))
        }
    }

    @Test func unknownPathsAre404AndWrongMethods405() async throws {
        try await withServer(FakeControllerAPI()) { client in
            #expect(try await client.execute(uri: "/nope", method: .get).status == .notFound)
            let wrongMethod = try await client.execute(uri: "/api/v1/webhook", method: .get)
            #expect(wrongMethod.status == .methodNotAllowed)
            #expect(wrongMethod.headers[.allow] == "POST")
            #expect(try await client.execute(uri: "/healthz", method: .post).status == .methodNotAllowed)
        }
    }

    // MARK: webhook

    @Test func signedGitHubPushForTheBranchQueuesOneWebhookSync() async throws {
        let api = FakeControllerAPI()
        try await withServer(api) { client in
            let response = try await client.execute(
                uri: "/api/v1/webhook", method: .post,
                headers: [Self.name("X-GitHub-Event"): "push", Self.name("X-Hub-Signature-256"): "sha256=" + Self.signature(Self.pushToMain)],
                body: ByteBuffer(string: Self.pushToMain))
            #expect(response.status == .accepted)
            #expect(String(buffer: response.body) == "{\"result\":\"accepted\"}\n")
        }
        #expect(await api.triggers == [.webhook(provider: "github")])
        #expect(await api.webhookResults == ["accepted"])
    }

    @Test func signedGiteaAndGitLabPushesQueueSyncs() async throws {
        let api = FakeControllerAPI()
        try await withServer(api) { client in
            let gitea = try await client.execute(
                uri: "/api/v1/webhook", method: .post,
                headers: [Self.name("X-Gitea-Event"): "push", Self.name("X-Gitea-Signature"): Self.signature(Self.pushToMain)],
                body: ByteBuffer(string: Self.pushToMain))
            #expect(gitea.status == .accepted)
            let gitlab = try await client.execute(
                uri: "/api/v1/webhook", method: .post,
                headers: [Self.name("X-Gitlab-Event"): "Push Hook", Self.name("X-Gitlab-Token"): Self.secretText],
                body: ByteBuffer(string: Self.pushToMain))
            #expect(gitlab.status == .accepted)
        }
        #expect(await api.triggers == [.webhook(provider: "gitea"), .webhook(provider: "gitlab")])
        #expect(await api.webhookResults == ["accepted", "accepted"])
    }

    @Test func wrongOrMissingSignaturesAre401WithoutASync() async throws {
        let api = FakeControllerAPI()
        try await withServer(api) { client in
            let wrong = try await client.execute(
                uri: "/api/v1/webhook", method: .post,
                headers: [Self.name("X-GitHub-Event"): "push", Self.name("X-Hub-Signature-256"): "sha256=" + Self.signature("other body")],
                body: ByteBuffer(string: Self.pushToMain))
            #expect(wrong.status == .unauthorized)
            #expect(String(buffer: wrong.body) == "{\"result\":\"bad_signature\"}\n")

            let missing = try await client.execute(
                uri: "/api/v1/webhook", method: .post, headers: [Self.name("X-GitHub-Event"): "push"],
                body: ByteBuffer(string: Self.pushToMain))
            #expect(missing.status == .unauthorized)

            let badToken = try await client.execute(
                uri: "/api/v1/webhook", method: .post,
                headers: [Self.name("X-Gitlab-Event"): "Push Hook", Self.name("X-Gitlab-Token"): "guessed-token"],
                body: ByteBuffer(string: Self.pushToMain))
            #expect(badToken.status == .unauthorized)
            #expect(!String(buffer: badToken.body).contains("guessed-token"))
        }
        #expect(await api.triggers == [])
        #expect(await api.webhookResults == ["bad_signature", "bad_signature", "bad_signature"])
    }

    @Test func pingsAndOtherBranchesAreIgnored() async throws {
        let api = FakeControllerAPI()
        try await withServer(api) { client in
            let ping = #"{"zen":"Speak like a human.","hook_id":7}"#
            let pingResponse = try await client.execute(
                uri: "/api/v1/webhook", method: .post,
                headers: [Self.name("X-GitHub-Event"): "ping", Self.name("X-Hub-Signature-256"): "sha256=" + Self.signature(ping)],
                body: ByteBuffer(string: ping))
            #expect(pingResponse.status == .accepted)
            #expect(String(buffer: pingResponse.body).contains(#""result":"ignored""#))

            let dev = #"{"ref":"refs/heads/dev"}"#
            let devResponse = try await client.execute(
                uri: "/api/v1/webhook", method: .post,
                headers: [Self.name("X-GitHub-Event"): "push", Self.name("X-Hub-Signature-256"): "sha256=" + Self.signature(dev)],
                body: ByteBuffer(string: dev))
            #expect(devResponse.status == .accepted)
            #expect(String(buffer: devResponse.body).contains(#""result":"ignored""#))
        }
        #expect(await api.triggers == [])
        #expect(await api.webhookResults == ["ignored", "ignored"])
    }

    @Test func malformedJSONWithAValidSignatureIs400() async throws {
        let api = FakeControllerAPI()
        try await withServer(api) { client in
            let body = "{not json"
            let response = try await client.execute(
                uri: "/api/v1/webhook", method: .post,
                headers: [Self.name("X-GitHub-Event"): "push", Self.name("X-Hub-Signature-256"): "sha256=" + Self.signature(body)],
                body: ByteBuffer(string: body))
            #expect(response.status == .badRequest)
            #expect(String(buffer: response.body).contains(#""result":"bad_request""#))

            let anonymous = try await client.execute(uri: "/api/v1/webhook", method: .post, body: ByteBuffer(string: Self.pushToMain))
            #expect(anonymous.status == .badRequest)
        }
        #expect(await api.triggers == [])
        #expect(await api.webhookResults == ["bad_request", "bad_request"])
    }

    @Test func bodiesOverTheLimitAre413() async throws {
        let api = FakeControllerAPI()
        try await withServer(api) { client in
            // One byte over the default 1 MiB, correctly signed: size is refused before anything else.
            let body = #"{"ref":"refs/heads/main","pad":""# + String(repeating: "x", count: 1 << 20) + #""}"#
            let response = try await client.execute(
                uri: "/api/v1/webhook", method: .post,
                headers: [Self.name("X-GitHub-Event"): "push", Self.name("X-Hub-Signature-256"): "sha256=" + Self.signature(body)],
                body: ByteBuffer(string: body))
            #expect(response.status == .contentTooLarge)
            #expect(String(buffer: response.body) == "{\"result\":\"too_large\"}\n")
            // The connection still serves the next request.
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
        }
        #expect(await api.triggers == [])
        #expect(await api.webhookResults == ["too_large"])
    }

    @Test func webhookIsNotServedWithoutASecret() async throws {
        let api = FakeControllerAPI()
        var configuration = Self.configuration()
        configuration.webhookSecret = nil
        try await withServer(api, configuration: configuration) { client in
            let response = try await client.execute(
                uri: "/api/v1/webhook", method: .post, headers: [Self.name("X-GitHub-Event"): "push"],
                body: ByteBuffer(string: Self.pushToMain))
            #expect(response.status == .notFound)
        }
        #expect(await api.triggers == [])
    }

    // MARK: manual sync

    @Test func syncWithoutOrWithAWrongTokenIs401() async throws {
        let api = FakeControllerAPI()
        try await withServer(api) { client in
            let none = try await client.execute(uri: "/api/v1/sync", method: .post)
            #expect(none.status == .unauthorized)
            #expect(none.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)

            let wrong = try await client.execute(
                uri: "/api/v1/sync", method: .post, headers: [.authorization: "Bearer not-the-admin-token"])
            #expect(wrong.status == .unauthorized)
            #expect(wrong.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            #expect(!String(buffer: wrong.body).contains("not-the-admin-token"))

            let basic = try await client.execute(
                uri: "/api/v1/sync", method: .post, headers: [.authorization: "Basic \(Self.adminText)"])
            #expect(basic.status == .unauthorized)
        }
        #expect(await api.triggers == [])
    }

    @Test func syncWithTheTokenQueuesAManualSync() async throws {
        let api = FakeControllerAPI()
        try await withServer(api) { client in
            let plain = try await client.execute(uri: "/api/v1/sync", method: .post, headers: [.authorization: "Bearer \(Self.adminText)"])
            #expect(plain.status == .accepted)

            let forServer = try await client.execute(
                uri: "/api/v1/sync", method: .post,
                headers: [.authorization: "Bearer \(Self.adminText)", .contentType: "application/json"],
                body: ByteBuffer(string: #"{"server": "time"}"#))
            #expect(forServer.status == .accepted)
            #expect(String(buffer: forServer.body) == "{\"result\":\"accepted\",\"server\":\"time\"}\n")

            let malformed = try await client.execute(
                uri: "/api/v1/sync", method: .post, headers: [.authorization: "Bearer \(Self.adminText)"],
                body: ByteBuffer(string: "server=time"))
            #expect(malformed.status == .badRequest)
        }
        #expect(await api.triggers == [.manual(server: nil), .manual(server: "time")])
    }

    @Test func secretsAndTokensAreNeverLogged() async throws {
        let capture = LogCapture()
        try await withServer(FakeControllerAPI(), logger: capture.logger()) { client in
            for token in [Self.secretText, "guessed-webhook-token"] {
                _ = try await client.execute(
                    uri: "/api/v1/webhook", method: .post,
                    headers: [Self.name("X-Gitlab-Event"): "Push Hook", Self.name("X-Gitlab-Token"): token],
                    body: ByteBuffer(string: Self.pushToMain))
            }
            for token in [Self.adminText, "guessed-admin-token"] {
                _ = try await client.execute(uri: "/api/v1/sync", method: .post, headers: [.authorization: "Bearer \(token)"])
            }
        }
        let lines = capture.all
        #expect(lines.contains { $0.contains("webhook accepted") })
        #expect(lines.contains { $0.contains("manual sync refused") })
        for line in lines {
            for secret in [Self.secretText, "guessed-webhook-token", Self.adminText, "guessed-admin-token"] {
                #expect(!line.contains(secret), "\(line)")
            }
        }
    }

    @Test func syncIsNotServedWithoutAnAdminToken() async throws {
        var configuration = Self.configuration()
        configuration.adminToken = nil
        try await withServer(FakeControllerAPI(), configuration: configuration) { client in
            let response = try await client.execute(uri: "/api/v1/sync", method: .post, headers: [.authorization: "Bearer anything"])
            #expect(response.status == .notFound)
        }
    }
}

/// The application as the controller runs it: in a `ServiceGroup`, on a port the system picks.
@Suite struct ControllerServerLifecycleTests {
    @Test func runsInAServiceGroupReportsItsPortAndShutsDownGracefully() async throws {
        let api = FakeControllerAPI()
        let server = try ControllerServer(api: api, configuration: .init(branch: "main", port: 0), logger: LogCapture().logger(level: .error))
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = server.makeApplication { port in portContinuation.yield(port) }
        let group = ServiceGroup(configuration: .init(services: [app], logger: LogCapture().logger(level: .error)))

        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            #expect(port > 0)

            let response = try await TestClient.withClient(host: "127.0.0.1", port: port) { client in
                try await client.get("/healthz")
            }
            #expect(response.status == .ok)

            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test func nonLoopbackHostsNeedAllowRemote() throws {
        for host in ["0.0.0.0", "::", "192.168.1.10", "controller.example.test"] {
            #expect(throws: ControllerServerError.remoteBindNotAllowed(host: host)) {
                try ControllerServer(api: FakeControllerAPI(), configuration: .init(branch: "main", host: host))
            }
            // Allowed when asked for; nothing is bound until the application runs.
            _ = try ControllerServer(api: FakeControllerAPI(), configuration: .init(branch: "main", host: host, allowRemote: true))
        }
    }

    @Test func defaultsAreLoopbackPort7070() throws {
        let configuration = ControllerServerConfiguration(branch: "main")
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 7070)
        #expect(!configuration.allowRemote)
        #expect(ControllerServerConfiguration(branch: "main", host: "[::1]").bindHost == "::1")
        #expect(throws: ControllerServerError.invalidPort(70_000)) {
            try ControllerServer(api: FakeControllerAPI(), configuration: .init(branch: "main", port: 70_000))
        }
        #expect(throws: ControllerServerError.emptyBranch) {
            try ControllerServer(api: FakeControllerAPI(), configuration: .init(branch: ""))
        }
    }
}
