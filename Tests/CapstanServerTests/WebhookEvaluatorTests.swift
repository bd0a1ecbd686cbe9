import Testing

@testable import CapstanServer

@Suite struct WebhookEvaluatorTests {
    static let secretText = "s3cr3t-for-tests"
    let evaluator = WebhookEvaluator(secret: try! WebhookSecret(Array(secretText.utf8)), branch: FollowedBranch("main"))

    func sign(_ body: [UInt8]) -> String { WebhookSignature.hexMAC(body: body, secret: evaluator.secret) }

    func push(_ ref: String) -> [UInt8] { Array(#"{"ref":"\#(ref)","after":"abc"}"#.utf8) }

    func headers(_ pairs: [String: String]) -> WebhookHeaders {
        WebhookHeaders(pairs.map { (name: $0.key, value: $0.value) })
    }

    @Test func signedGitHubPushToTheBranchIsAccepted() {
        let body = push("refs/heads/main")
        let outcome = evaluator.evaluate(
            headers: headers(["X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=" + sign(body)]), body: body)
        #expect(outcome == .accepted(.github))
        #expect(outcome.result == "accepted")
    }

    @Test func headerNamesAreCaseInsensitive() {
        let body = push("refs/heads/main")
        let outcome = evaluator.evaluate(
            headers: headers(["x-github-event": "push", "x-hub-signature-256": "sha256=" + sign(body)]), body: body)
        #expect(outcome == .accepted(.github))
    }

    @Test func signedGiteaAndForgejoPushesAreAcceptedAsGitea() {
        let body = push("refs/heads/main")
        // Gitea also sends GitHub's event header; its own headers decide.
        let gitea = headers(["X-Gitea-Event": "push", "X-GitHub-Event": "push", "X-Gitea-Signature": sign(body)])
        #expect(evaluator.evaluate(headers: gitea, body: body) == .accepted(.gitea))
        let forgejo = headers(["X-Forgejo-Event": "push", "X-Forgejo-Signature": sign(body), "X-Gitea-Event": "push"])
        #expect(evaluator.evaluate(headers: forgejo, body: body) == .accepted(.gitea))
    }

    @Test func aBadForgejoSignatureIsNotRescuedByAGoodGiteaOne() {
        let body = push("refs/heads/main")
        let both = headers([
            "X-Forgejo-Event": "push", "X-Forgejo-Signature": String(repeating: "0", count: 64),
            "X-Gitea-Signature": sign(body),
        ])
        #expect(evaluator.evaluate(headers: both, body: body) == .badSignature(.mismatch))
    }

    @Test func gitLabPushHookWithTheTokenIsAccepted() {
        let body = push("refs/heads/main")
        let outcome = evaluator.evaluate(headers: headers(["X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": Self.secretText]), body: body)
        #expect(outcome == .accepted(.gitlab))
    }

    @Test func wrongOrMissingCredentialsAreBadSignatures() {
        let body = push("refs/heads/main")
        #expect(evaluator.evaluate(headers: headers(["X-GitHub-Event": "push"]), body: body) == .badSignature(.missing))
        #expect(
            evaluator.evaluate(headers: headers(["X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=" + sign(push("refs/heads/dev"))]), body: body)
                == .badSignature(.mismatch))
        #expect(evaluator.evaluate(headers: headers(["X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": "guess"]), body: body) == .badSignature(.mismatch))
        #expect(evaluator.evaluate(headers: headers(["X-Gitea-Event": "push", "X-Gitea-Signature": "zz"]), body: body) == .badSignature(.malformed))
    }

    @Test func credentialsAreCheckedBeforeThePayloadIsParsed() {
        let garbage = Array("not json".utf8)
        #expect(evaluator.evaluate(headers: headers(["X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=" + String(repeating: "a", count: 64)]), body: garbage)
            == .badSignature(.mismatch))
        #expect(evaluator.evaluate(headers: headers(["X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=" + sign(garbage)]), body: garbage)
            == .badRequest(.malformedPayload))
    }

    @Test func signedNonPushEventsAreIgnored() {
        let ping = Array(#"{"zen":"Design for failure.","hook_id":1}"#.utf8)
        #expect(evaluator.evaluate(headers: headers(["X-GitHub-Event": "ping", "X-Hub-Signature-256": "sha256=" + sign(ping)]), body: ping)
            == .ignored(.github, .notAPush(event: "ping")))
        let tag = push("refs/tags/v1")
        #expect(evaluator.evaluate(headers: headers(["X-Gitlab-Event": "Tag Push Hook", "X-Gitlab-Token": Self.secretText]), body: tag)
            == .ignored(.gitlab, .notAPush(event: "Tag Push Hook")))
    }

    @Test func pushesToOtherRefsAreIgnored() {
        for ref in ["refs/heads/dev", "refs/tags/main", "refs/heads/main-2"] {
            let body = push(ref)
            #expect(evaluator.evaluate(headers: headers(["X-Gitea-Event": "push", "X-Gitea-Signature": sign(body)]), body: body)
                == .ignored(.gitea, .otherRef(ref)))
        }
    }

    @Test func deliveriesFromNoKnownForgeAreBadRequests() {
        let body = push("refs/heads/main")
        let outcome = evaluator.evaluate(headers: headers(["X-Hub-Signature-256": "sha256=" + sign(body)]), body: body)
        #expect(outcome == .badRequest(.unknownSender))
        #expect(outcome.result == "bad_request")
    }

    @Test func repeatedHeadersKeepTheFirstValue() {
        let headers = WebhookHeaders([(name: "X-GitHub-Event", value: "push"), (name: "x-github-event", value: "ping")])
        #expect(headers["X-GITHUB-EVENT"] == "push")
    }
}
