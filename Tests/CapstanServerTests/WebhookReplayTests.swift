import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CapstanServer

/// A delivery sent twice (same forge delivery id) queues one sync: the second is answered 202
/// `replayed` and triggers nothing.
@Suite struct WebhookReplayTests {
    static let secretText = "s3cr3t-for-replay-tests"
    let secret = try! WebhookSecret(Array(secretText.utf8))

    func evaluator(window: TimeInterval = WebhookDeliveries.defaultWindow, capacity: Int = WebhookDeliveries.defaultCapacity) -> WebhookEvaluator {
        WebhookEvaluator(secret: secret, branch: FollowedBranch("main"), deliveries: WebhookDeliveries(window: window, capacity: capacity))
    }

    let body = Array(#"{"ref":"refs/heads/main","after":"abc"}"#.utf8)

    func github(delivery: String?, body: [UInt8]? = nil) -> WebhookHeaders {
        var pairs = ["X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=" + WebhookSignature.hexMAC(body: body ?? self.body, secret: secret)]
        pairs["X-GitHub-Delivery"] = delivery
        return WebhookHeaders(pairs.map { (name: $0.key, value: $0.value) })
    }

    @Test func theSameGitHubDeliveryTwiceIsAcceptedOnceThenReplayed() {
        let e = evaluator()
        let first = e.evaluate(headers: github(delivery: "72d3162e-cc78-11e3-81ab-4c9367dc0958"), body: body)
        let second = e.evaluate(headers: github(delivery: "72d3162e-cc78-11e3-81ab-4c9367dc0958"), body: body)
        #expect(first == .accepted(.github))
        #expect(second == .ignored(.github, .replayed(delivery: "72d3162e-cc78-11e3-81ab-4c9367dc0958")))
        #expect(second.result == "replayed")
        #expect(e.evaluate(headers: github(delivery: "another-delivery"), body: body) == .accepted(.github))
    }

    @Test func giteaForgejoAndGitLabDeliveryIDsAreRecognised() {
        let e = evaluator()
        let mac = WebhookSignature.hexMAC(body: body, secret: secret)
        let gitea = WebhookHeaders([(name: "X-Gitea-Event", value: "push"), (name: "X-Gitea-Signature", value: mac),
                                    (name: "X-Gitea-Delivery", value: "d-1")])
        let forgejo = WebhookHeaders([(name: "X-Forgejo-Event", value: "push"), (name: "X-Forgejo-Signature", value: mac),
                                      (name: "X-Forgejo-Delivery", value: "d-2")])
        let gitlab = WebhookHeaders([(name: "X-Gitlab-Event", value: "Push Hook"), (name: "X-Gitlab-Token", value: Self.secretText),
                                     (name: "X-Gitlab-Event-UUID", value: "d-1")])
        #expect(e.evaluate(headers: gitea, body: body) == .accepted(.gitea))
        #expect(e.evaluate(headers: forgejo, body: body) == .accepted(.gitea))
        // The same id from another forge is another delivery.
        #expect(e.evaluate(headers: gitlab, body: body) == .accepted(.gitlab))
        #expect(e.evaluate(headers: gitea, body: body) == .ignored(.gitea, .replayed(delivery: "d-1")))
        #expect(e.evaluate(headers: forgejo, body: body) == .ignored(.gitea, .replayed(delivery: "d-2")))
        #expect(e.evaluate(headers: gitlab, body: body) == .ignored(.gitlab, .replayed(delivery: "d-1")))
    }

    @Test func onlySignedAcceptedDeliveriesAreRemembered() {
        let e = evaluator()
        // A badly signed request carrying the id does not use it up.
        let forged = WebhookHeaders([(name: "X-GitHub-Event", value: "push"), (name: "X-GitHub-Delivery", value: "id-1"),
                                     (name: "X-Hub-Signature-256", value: "sha256=" + String(repeating: "0", count: 64))])
        #expect(e.evaluate(headers: forged, body: body) == .badSignature(.mismatch))
        // Neither does a push to another branch.
        let other = Array(#"{"ref":"refs/heads/dev"}"#.utf8)
        #expect(e.evaluate(headers: github(delivery: "id-1", body: other), body: other) == .ignored(.github, .otherRef("refs/heads/dev")))
        #expect(e.evaluate(headers: github(delivery: "id-1"), body: body) == .accepted(.github))
    }

    @Test func deliveriesWithoutAnIDAreAllAccepted() {
        let e = evaluator()
        for _ in 0..<3 { #expect(e.evaluate(headers: github(delivery: nil), body: body) == .accepted(.github)) }
        #expect(e.evaluate(headers: github(delivery: ""), body: body) == .accepted(.github))
    }

    @Test func anIDIsForgottenAfterTheWindow() {
        let e = evaluator(window: 60)
        let start = Date(timeIntervalSince1970: 1_000_000)
        #expect(e.evaluate(headers: github(delivery: "x"), body: body, now: start) == .accepted(.github))
        #expect(e.evaluate(headers: github(delivery: "x"), body: body, now: start.addingTimeInterval(59)) == .ignored(.github, .replayed(delivery: "x")))
        #expect(e.evaluate(headers: github(delivery: "x"), body: body, now: start.addingTimeInterval(61)) == .accepted(.github))
    }

    @Test func atCapacityTheOldestIDsGoFirst() {
        let e = evaluator(capacity: 3)
        let start = Date(timeIntervalSince1970: 1_000_000)
        for (i, id) in ["a", "b", "c", "d"].enumerated() {
            #expect(e.evaluate(headers: github(delivery: id), body: body, now: start.addingTimeInterval(Double(i))) == .accepted(.github))
        }
        let later = start.addingTimeInterval(10)
        #expect(e.evaluate(headers: github(delivery: "a"), body: body, now: later) == .accepted(.github), "a was dropped for d")
        #expect(e.evaluate(headers: github(delivery: "d"), body: body, now: later) == .ignored(.github, .replayed(delivery: "d")))
    }

    @Test func overHTTPTheRepeatIs202ReplayedAndQueuesNothing() async throws {
        let api = FakeControllerAPI()
        let server = try ControllerServer(api: api, configuration: ControllerServerHTTPTests.configuration(),
                                          logger: LogCapture().logger(level: .error))
        let push = ControllerServerHTTPTests.pushToMain
        let headers: HTTPFields = [
            ControllerServerHTTPTests.name("X-GitHub-Event"): "push",
            ControllerServerHTTPTests.name("X-GitHub-Delivery"): "5f1c0a3e-0000-4000-8000-000000000001",
            ControllerServerHTTPTests.name("X-Hub-Signature-256"): "sha256=" + ControllerServerHTTPTests.signature(push),
        ]
        try await server.makeApplication().test(.live) { client in
            let first = try await client.execute(uri: "/api/v1/webhook", method: .post, headers: headers, body: ByteBuffer(string: push))
            #expect(first.status == .accepted)
            #expect(String(buffer: first.body) == "{\"result\":\"accepted\"}\n")
            let second = try await client.execute(uri: "/api/v1/webhook", method: .post, headers: headers, body: ByteBuffer(string: push))
            #expect(second.status == .accepted)
            let answer = String(buffer: second.body)
            #expect(answer.contains("\"result\":\"replayed\""), "\(answer)")
            #expect(answer.contains("already accepted"), "\(answer)")
            #expect(!answer.contains("5f1c0a3e"), "the sender's id is not echoed")
        }
        #expect(await api.triggers == [.webhook(provider: "github")])
        #expect(await api.webhookResults == ["accepted", "replayed"])
    }
}
