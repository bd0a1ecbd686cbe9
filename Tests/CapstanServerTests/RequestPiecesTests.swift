import CapstanCore
import Hummingbird
import Testing

@testable import CapstanServer

@Suite struct BearerAuthorizationTests {
    let token = try! AdminToken("admin-token-123")

    @Test func theRightBearerTokenIsAuthorized() {
        #expect(BearerAuthorization.check(header: "Bearer admin-token-123", token: token) == .authorized)
        #expect(BearerAuthorization.check(header: "bearer admin-token-123", token: token) == .authorized)
    }

    @Test func wrongTokensAreInvalid() {
        #expect(BearerAuthorization.check(header: "Bearer admin-token-12", token: token) == .invalid)
        #expect(BearerAuthorization.check(header: "Bearer admin-token-1234", token: token) == .invalid)
        #expect(BearerAuthorization.check(header: "Bearer ADMIN-TOKEN-123", token: token) == .invalid)
    }

    @Test func absentOrOtherSchemesAreMissing() {
        #expect(BearerAuthorization.check(header: nil, token: token) == .missing)
        #expect(BearerAuthorization.check(header: "", token: token) == .missing)
        #expect(BearerAuthorization.check(header: "Bearer", token: token) == .missing)
        #expect(BearerAuthorization.check(header: "Bearer    ", token: token) == .missing)
        #expect(BearerAuthorization.check(header: "Basic YWRtaW46YWRtaW4=", token: token) == .missing)
        #expect(BearerAuthorization.check(header: "admin-token-123", token: token) == .missing)
    }
}

@Suite struct LoopbackAddressTests {
    @Test func loopbackHostsAreRecognised() {
        for host in ["127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST", "::1", "[::1]", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1"] {
            #expect(LoopbackAddress.isLoopback(host), "\(host)")
        }
    }

    @Test func everythingElseIsNot() {
        for host in [
            "0.0.0.0", "::", "10.0.0.1", "192.168.1.10", "128.0.0.1", "1.127.0.0", "127.0.0", "127.0.0.1.5", "127.0.0.256",
            "::2", "::ffff:10.0.0.1", "example.com", "localhost.example.com", "", "1::1::1",
        ] {
            #expect(!LoopbackAddress.isLoopback(host), "\(host)")
        }
    }
}

@Suite struct ControllerRouteTests {
    @Test func knownPathsAndMethodsMatch() {
        #expect(ControllerRoute.match(method: .get, path: "/healthz") == .route(.healthz))
        #expect(ControllerRoute.match(method: .get, path: "/readyz") == .route(.readyz))
        #expect(ControllerRoute.match(method: .get, path: "/api/v1/status") == .route(.status))
        #expect(ControllerRoute.match(method: .get, path: "/metrics") == .route(.metrics))
        #expect(ControllerRoute.match(method: .post, path: "/api/v1/webhook") == .route(.webhook))
        #expect(ControllerRoute.match(method: .post, path: "/api/v1/sync") == .route(.sync))
    }

    @Test func wrongMethodsAreNotAllowedAndUnknownPathsNotFound() {
        #expect(ControllerRoute.match(method: .post, path: "/healthz") == .methodNotAllowed(allow: [.get, .head]))
        #expect(ControllerRoute.match(method: .head, path: "/healthz") == .route(.healthz))
        #expect(ControllerRoute.match(method: .head, path: "/api/v1/sync") == .methodNotAllowed(allow: [.post]))
        #expect(ControllerRoute.match(method: .get, path: "/api/v1/webhook") == .methodNotAllowed(allow: [.post]))
        #expect(ControllerRoute.match(method: .get, path: "/api/v1/statuses") == .notFound)
        #expect(ControllerRoute.match(method: .get, path: "/healthz/") == .notFound)
    }
}

@Suite struct SyncRequestTests {
    @Test func bodyIsOptional() {
        #expect(SyncRequest.parse([]) == SyncRequest(server: nil))
        #expect(SyncRequest.parse(Array(" \n".utf8)) == SyncRequest(server: nil))
        #expect(SyncRequest.parse(Array("{}".utf8)) == SyncRequest(server: nil))
        #expect(SyncRequest.parse(Array(#"{"server":"time"}"#.utf8)) == SyncRequest(server: "time"))
    }

    @Test func malformedBodiesAreRefused() {
        for body in ["server=time", #"{"server":3}"#, #"{"server":""}"#, "[]"] {
            #expect(SyncRequest.parse(Array(body.utf8)) == nil, "\(body)")
        }
    }
}

@Suite struct BoundedBodyTests {
    func request(chunks: [String], contentLength: Int? = nil) -> Request {
        var head = HTTPRequest(method: .post, scheme: "http", authority: "localhost", path: "/api/v1/webhook")
        if let contentLength { head.headerFields[.contentLength] = String(contentLength) }
        let stream = AsyncStream<ByteBuffer> { continuation in
            for chunk in chunks { continuation.yield(ByteBuffer(string: chunk)) }
            continuation.finish()
        }
        return Request(head: head, body: RequestBody(asyncSequence: stream))
    }

    @Test func aStreamedBodyOverTheLimitIsTooLarge() async {
        guard case .tooLarge = await BoundedBody.read(request(chunks: ["12345", "67890", "x"]), limit: 10) else {
            Issue.record("expected tooLarge")
            return
        }
    }

    @Test func aBodyAtTheLimitIsRead() async {
        guard case .body(let bytes) = await BoundedBody.read(request(chunks: ["12345", "67890"]), limit: 10) else {
            Issue.record("expected body")
            return
        }
        #expect(bytes == Array("1234567890".utf8))
    }

    @Test func aDeclaredLengthOverTheLimitIsRefusedUnread() async {
        guard case .tooLarge = await BoundedBody.read(request(chunks: ["1"], contentLength: 11), limit: 10) else {
            Issue.record("expected tooLarge")
            return
        }
    }
}
