import Testing

@testable import CapstanServer

@Suite struct WebhookSignatureTests {
    // GitHub's documented example ("Validating webhook deliveries").
    static let secret = try! WebhookSecret(Array("It's a Secret to Everybody".utf8))
    static let body = Array("Hello, World!".utf8)
    static let mac = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"

    @Test func hmacMatchesGitHubsDocumentedExample() {
        #expect(WebhookSignature.hexMAC(body: Self.body, secret: Self.secret) == Self.mac)
    }

    // MARK: GitHub

    @Test func gitHubRightSignatureIsValid() {
        #expect(WebhookSignature.verifyGitHub(header: "sha256=" + Self.mac, body: Self.body, secret: Self.secret) == .valid)
        #expect(WebhookSignature.verifyGitHub(header: "sha256=" + Self.mac.uppercased(), body: Self.body, secret: Self.secret) == .valid)
    }

    @Test func gitHubWrongSignatureIsAMismatch() {
        let wrong = "sha256=" + String(Self.mac.dropLast()) + "0"
        #expect(WebhookSignature.verifyGitHub(header: wrong, body: Self.body, secret: Self.secret) == .mismatch)
        let otherBody = Array("Hello, World?".utf8)
        #expect(WebhookSignature.verifyGitHub(header: "sha256=" + Self.mac, body: otherBody, secret: Self.secret) == .mismatch)
        let otherSecret = try! WebhookSecret(Array("another secret".utf8))
        #expect(WebhookSignature.verifyGitHub(header: "sha256=" + Self.mac, body: Self.body, secret: otherSecret) == .mismatch)
    }

    @Test func gitHubMissingSignatureIsMissing() {
        #expect(WebhookSignature.verifyGitHub(header: nil, body: Self.body, secret: Self.secret) == .missing)
        #expect(WebhookSignature.verifyGitHub(header: "", body: Self.body, secret: Self.secret) == .missing)
    }

    @Test func gitHubWrongPrefixIsMalformed() {
        #expect(WebhookSignature.verifyGitHub(header: Self.mac, body: Self.body, secret: Self.secret) == .malformed)
        #expect(WebhookSignature.verifyGitHub(header: "sha1=" + Self.mac, body: Self.body, secret: Self.secret) == .malformed)
        #expect(WebhookSignature.verifyGitHub(header: "SHA256=" + Self.mac, body: Self.body, secret: Self.secret) == .malformed)
    }

    @Test func gitHubDifferentLengthIsMalformed() {
        #expect(WebhookSignature.verifyGitHub(header: "sha256=" + Self.mac.dropLast(2), body: Self.body, secret: Self.secret) == .malformed)
        #expect(WebhookSignature.verifyGitHub(header: "sha256=" + Self.mac + "00", body: Self.body, secret: Self.secret) == .malformed)
        #expect(WebhookSignature.verifyGitHub(header: "sha256=" + Self.mac.dropLast() , body: Self.body, secret: Self.secret) == .malformed)
        #expect(WebhookSignature.verifyGitHub(header: "sha256=" + Self.mac.dropLast() + "g", body: Self.body, secret: Self.secret) == .malformed)
    }

    // MARK: Gitea / Forgejo

    @Test func giteaRightSignatureIsValid() {
        #expect(WebhookSignature.verifyGitea(header: Self.mac, body: Self.body, secret: Self.secret) == .valid)
    }

    @Test func giteaWrongMissingAndMalformedSignatures() {
        #expect(WebhookSignature.verifyGitea(header: String(Self.mac.reversed()), body: Self.body, secret: Self.secret) == .mismatch)
        #expect(WebhookSignature.verifyGitea(header: nil, body: Self.body, secret: Self.secret) == .missing)
        // Gitea sends bare hex: GitHub's prefixed form is not accepted there.
        #expect(WebhookSignature.verifyGitea(header: "sha256=" + Self.mac, body: Self.body, secret: Self.secret) == .malformed)
        #expect(WebhookSignature.verifyGitea(header: String(Self.mac.prefix(40)), body: Self.body, secret: Self.secret) == .malformed)
    }

    // MARK: GitLab

    @Test func gitLabTokenIsTheSecretItself() {
        #expect(WebhookSignature.verifyGitLab(token: "It's a Secret to Everybody", secret: Self.secret) == .valid)
    }

    @Test func gitLabWrongOrMissingToken() {
        #expect(WebhookSignature.verifyGitLab(token: "It's a Secret to Everybody ", secret: Self.secret) == .mismatch)
        #expect(WebhookSignature.verifyGitLab(token: "It's a Secret", secret: Self.secret) == .mismatch)
        #expect(WebhookSignature.verifyGitLab(token: Self.mac, secret: Self.secret) == .mismatch)
        #expect(WebhookSignature.verifyGitLab(token: nil, secret: Self.secret) == .missing)
        #expect(WebhookSignature.verifyGitLab(token: "", secret: Self.secret) == .missing)
    }

    // MARK: Secrets

    @Test func emptySecretsAreRefused() {
        #expect(throws: ControllerServerError.emptyWebhookSecret) { try WebhookSecret([UInt8]()) }
        #expect(throws: ControllerServerError.emptyAdminToken) { try AdminToken("") }
    }

    @Test func secretsDoNotPrintThemselves() throws {
        let secret = try WebhookSecret(Array("hunter2-webhook".utf8))
        let token = try AdminToken("hunter2-admin")
        for text in ["\(secret)", String(reflecting: secret), "\(token)", String(reflecting: token)] {
            #expect(!text.contains("hunter2"))
        }
        var dumped = ""
        dump(secret, to: &dumped)
        dump(token, to: &dumped)
        #expect(!dumped.contains("hunter2"))
    }
}
