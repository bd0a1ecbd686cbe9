import Testing
@testable import CapstanGit

/// A repository with two commits on `main`, a branch and tags at the first, an annotated tag at
/// the second.
private struct History {
    let sandbox: Sandbox
    let repository: GitRepository
    let first: CommitID
    let second: CommitID

    init() throws {
        sandbox = try Sandbox()
        try sandbox.initRepository("repo")
        try sandbox.write("repo/a.txt", "one\n")
        first = CommitID(hex: try sandbox.commitAll("repo", message: "First"))!
        try sandbox.git("branch", "feature", in: "repo")
        try sandbox.git("tag", "v1", in: "repo")
        try sandbox.write("repo/a.txt", "two\n")
        second = CommitID(hex: try sandbox.commitAll("repo", message: "Second"))!
        try sandbox.git("tag", "-a", "v2", "-m", "release two", in: "repo")
        repository = try GitRepository.open(path: sandbox.path("repo"))
    }
}

@Suite struct ResolveTests {
    @Test func branchNamesResolveInShortAndFullForm() throws {
        let h = try History()
        #expect(try h.repository.resolve(ref: "main") == h.second)
        #expect(try h.repository.resolve(ref: "refs/heads/main") == h.second)
        #expect(try h.repository.resolve(ref: "feature") == h.first)
    }

    @Test func headResolvesToTheCheckedOutCommit() throws {
        let h = try History()
        #expect(try h.repository.resolve(ref: "HEAD") == h.second)
    }

    @Test func lightweightAndAnnotatedTagsResolveToTheirCommit() throws {
        let h = try History()
        #expect(try h.repository.resolve(ref: "v1") == h.first)
        #expect(try h.repository.resolve(ref: "v2") == h.second)
        #expect(try h.repository.resolve(ref: "refs/tags/v2") == h.second)
    }

    @Test func fullAndAbbreviatedIdsResolve() throws {
        let h = try History()
        #expect(try h.repository.resolve(ref: h.first.hex) == h.first)
        #expect(try h.repository.resolve(ref: String(h.first.hex.prefix(7))) == h.first)
        #expect(try h.repository.resolve(ref: h.second.hex.uppercased()) == h.second)
    }

    @Test func anUnknownRefIsATypedErrorNamingIt() throws {
        let h = try History()
        #expect {
            try h.repository.resolve(ref: "no-such-branch")
        } throws: { error in
            guard case .unknownRef(let ref, _) = error as? GitError else { return false }
            return ref == "no-such-branch" && "\(error)".contains("no-such-branch")
        }
    }

    @Test func aRefToATreeIsNotACommit() throws {
        let h = try History()
        #expect {
            try h.repository.resolve(ref: "HEAD^{tree}")
        } throws: { error in
            guard case .notACommit(let ref, _) = error as? GitError else { return false }
            return ref == "HEAD^{tree}"
        }
    }

    @Test func malformedRevisionSyntaxIsATypedError() throws {
        let h = try History()
        #expect {
            try h.repository.resolve(ref: "main@{")
        } throws: { error in
            guard case .resolveFailed(let ref, _) = error as? GitError else { return false }
            return ref == "main@{"
        }
    }

    @Test func headOfARepositoryWithoutCommitsIsUnknown() throws {
        let sandbox = try Sandbox()
        try sandbox.initRepository("empty")
        let repository = try GitRepository.open(path: sandbox.path("empty"))
        #expect {
            try repository.resolve(ref: "HEAD")
        } throws: { error in
            guard case .unknownRef(let ref, _) = error as? GitError else { return false }
            return ref == "HEAD"
        }
    }

    @Test func commitInfoReportsSummaryAuthorAndTime() throws {
        let sandbox = try Sandbox()
        try sandbox.initRepository("repo")
        try sandbox.write("repo/a.txt", "a\n")
        try sandbox.git("add", "-A", in: "repo")
        try sandbox.git(["-c", "user.name=Ada Lovelace", "-c", "user.email=ada@example.invalid",
                         "commit", "-q", "-m", "Add the weather server\n\nWith a longer body."],
                        in: "repo", date: 1_712_345_678)
        let repository = try GitRepository.open(path: sandbox.path("repo"))
        let id = try repository.resolve(ref: "HEAD")
        let info = try repository.commitInfo(id)
        #expect(info == CommitInfo(id: id, summary: "Add the weather server", authorName: "Ada Lovelace",
                                   authorEmail: "ada@example.invalid", authorTime: 1_712_345_678,
                                   authorTimeZoneOffsetMinutes: 0))
    }

    @Test func commitInfoOfAnAbsentCommitIsATypedError() throws {
        let h = try History()
        let absent = CommitID(hex: String(repeating: "ab", count: 20))!
        #expect {
            try h.repository.commitInfo(absent)
        } throws: { error in
            guard case .commitNotFound(let commit, _) = error as? GitError else { return false }
            return commit == absent
        }
    }

    @Test func opensABareRepository() throws {
        let h = try History()
        try h.sandbox.git("clone", "-q", "--bare", h.sandbox.path("repo"), h.sandbox.path("bare.git"))
        let bare = try GitRepository.open(path: h.sandbox.path("bare.git"))
        #expect(try bare.resolve(ref: "main") == h.second)
    }

    @Test func openingADirectoryThatIsNoRepositoryFailsNamingIt() throws {
        let sandbox = try Sandbox()
        try sandbox.write("plain/file.txt", "x")
        #expect {
            try GitRepository.open(path: sandbox.path("plain"))
        } throws: { error in
            guard case .openFailed(let path, _) = error as? GitError else { return false }
            return path == sandbox.path("plain")
        }
    }

    @Test func commitIDsAreFortyHexDigits() {
        #expect(CommitID(hex: String(repeating: "A", count: 40))?.hex == String(repeating: "a", count: 40))
        #expect(CommitID(hex: "abc1234") == nil)
        #expect(CommitID(hex: String(repeating: "g", count: 40)) == nil)
    }
}
