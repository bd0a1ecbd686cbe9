import CapstanCore
import Foundation
import Testing

/// The fixture corpus: every invalid case is pinned to exact positions and messages, every
/// valid case and example loads without a single diagnostic.
struct ManifestFixtureTests {
    @Test("invalid case reports exactly its expected diagnostics", arguments: Fixtures.invalidCases)
    func invalidCaseReportsExpectedDiagnostics(_ directory: String) throws {
        let expectText = try String(contentsOfFile: directory + "/EXPECT", encoding: .utf8)
        let lines = expectText.split(separator: "\n").dropFirst()  // first line: schema verdict
        let expected = lines.compactMap(ExpectedDiagnostic.init)
        #expect(expected.count == lines.count, "malformed EXPECT line in \(directory)")
        #expect(!expected.isEmpty)

        let result = Fixtures.load(directory)
        #expect(!result.isValid)
        let actual = result.diagnostics
        for e in expected {
            #expect(actual.contains(where: e.matches),
                    "missing \(e) in \(directory); got:\n\(actual.map(\.rendered).joined(separator: "\n"))")
        }
        #expect(actual.count == expected.count,
                "\(directory) reported \(actual.count) diagnostics, expected \(expected.count):\n\(actual.map(\.rendered).joined(separator: "\n"))")
    }

    @Test("valid case loads cleanly", arguments: Fixtures.validCases + Fixtures.examples)
    func validCaseLoadsCleanly(_ directory: String) {
        let result = Fixtures.load(directory)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics.map(\.rendered).joined(separator: "\n"))")
        #expect(result.manifests.count > 0)
    }

    @Test func corpusHasAtLeastFortyInvalidCases() {
        #expect(Fixtures.invalidCases.count >= 40)
    }
}
