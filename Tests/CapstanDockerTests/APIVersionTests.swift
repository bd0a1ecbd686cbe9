@testable import CapstanDocker
import Testing

@Suite struct APIVersionNegotiationTests {
    @Test func engineAtTheMinimumIsUsedAsIs() throws {
        #expect(try APIVersion.negotiate(engine: "1.41") == APIVersion(1, 41))
    }

    @Test func newerEngineIsCappedAtTheClientMaximum() throws {
        #expect(try APIVersion.negotiate(engine: "1.50") == APIVersion.maximum)
        #expect(try APIVersion.negotiate(engine: "1.44") == APIVersion(1, 44))
    }

    @Test func olderEngineIsRefusedNamingBothVersions() {
        #expect(throws: DockerError.unsupportedVersion(engine: "1.40", minimum: "1.41")) {
            try APIVersion.negotiate(engine: "1.40")
        }
    }

    @Test func unreadableVersionIsRefused() {
        #expect(throws: DockerError.unsupportedVersion(engine: "banana", minimum: "1.41")) {
            try APIVersion.negotiate(engine: "banana")
        }
    }

    @Test func versionsCompareNumericallyNotAsText() {
        #expect(APIVersion(1, 9) < APIVersion(1, 41))
        #expect(APIVersion("1.100")! > APIVersion("1.47")!)
    }
}
