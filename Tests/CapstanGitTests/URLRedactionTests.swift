import Testing
@testable import CapstanGit

@Suite struct URLRedactionTests {
    @Test(arguments: [
        ("https://user:token@example.invalid/org/repo.git", "https://example.invalid/org/repo.git"),
        ("https://token@example.invalid:8443/repo", "https://example.invalid:8443/repo"),
        ("https://example.invalid/a@b", "https://example.invalid/a@b"),
        ("ssh://git@example.invalid/repo.git", "ssh://example.invalid/repo.git"),
        ("git@example.invalid:org/repo.git", "git@example.invalid:org/repo.git"),
        ("/srv/git/repo", "/srv/git/repo"),
        ("file:///srv/git/repo", "file:///srv/git/repo"),
    ])
    func userinfoIsRemoved(url: String, redacted: String) {
        #expect(URLRedaction.redact(url) == redacted)
    }

    @Test func messagesLoseTheSecretInEveryForm() {
        let url = "https://ci:p%40ss@example.invalid/repo.git"
        let message = "failed for https://ci:p%40ss@example.invalid/repo.git, user ci:p@ss, password p@ss"
        let scrubbed = URLRedaction.scrub(message, url: url)
        #expect(!scrubbed.contains("p@ss") && !scrubbed.contains("p%40ss"))
        #expect(scrubbed.contains("https://example.invalid/repo.git"))
    }

    @Test func aTokenAsUserIsTheSecretButAnSSHLoginIsNot() {
        #expect(URLRedaction.scrub("auth for ghp_abc failed", url: "https://ghp_abc@example.invalid/r") == "auth for *** failed")
        #expect(URLRedaction.scrub("git: auth failed", url: "ssh://git@example.invalid/r") == "git: auth failed")
    }
}
