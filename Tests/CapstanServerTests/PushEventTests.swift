import Testing

@testable import CapstanServer

@Suite struct PushEventTests {
    @Test func refIsReadFromAPushPayload() {
        let body = #"{"ref":"refs/heads/main","before":"a","after":"b","commits":[{"id":"b"}]}"#
        #expect(PushEvent.parseRef(Array(body.utf8)) == .ref("refs/heads/main"))
    }

    @Test func payloadsWithoutAStringRefAreMalformed() {
        for body in ["", "not json", "[]", "{}", #"{"ref":42}"#, #"{"ref":""}"#, #"{"zen":"Keep it simple."}"#] {
            #expect(PushEvent.parseRef(Array(body.utf8)) == .malformed, "\(body)")
        }
    }

    @Test func followedBranchMatchesItsHeadsRefOnly() {
        let main = FollowedBranch("main")
        #expect(main.matches(ref: "refs/heads/main"))
        #expect(!main.matches(ref: "refs/heads/main2"))
        #expect(!main.matches(ref: "refs/heads/feature/main"))
        #expect(!main.matches(ref: "refs/tags/main"))
        #expect(!main.matches(ref: "main"))
    }

    @Test func branchMayBeGivenAsAFullRef() {
        #expect(FollowedBranch("refs/heads/release/1.x") == FollowedBranch("release/1.x"))
        #expect(FollowedBranch("release/1.x").matches(ref: "refs/heads/release/1.x"))
    }
}
