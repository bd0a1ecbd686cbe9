@testable import CapstanCore
import Testing

/// The nesting limit holds once aliases are expanded: anchors that each stay within it could
/// otherwise be nested through aliases into a tree thousands of levels deep (the node budget
/// alone allowed about 3,300), deep enough to overflow a recursive consumer's stack.
struct ResourceLimitTests {
    /// `k<n>: &a<n>` is `levels` nested lists around `*a<n-1>`.
    static func chain(anchors: Int, levels: Int) -> String {
        (0..<anchors).map { k in
            "k\(k): &a\(k) " + String(repeating: "[", count: levels) + (k == 0 ? "x" : "*a\(k - 1)") + String(repeating: "]", count: levels)
        }.joined(separator: "\n") + "\n"
    }

    @Test func anchorsNestedThroughAliasesPastTheLimitAreAnErrorAtTheAlias() throws {
        let text = Self.chain(anchors: 55, levels: 40)
        guard case .failure(let failure) = YAMLLoader.load(Array(text.utf8)) else {
            Issue.record("a 2,200-level document was loaded")
            return
        }
        // a0 spans levels 2 to 42; *a0 sits at level 42 inside k1's lists, so it would reach 82.
        #expect(failure.message == "nesting is deeper than 64 levels once aliases are expanded")
        #expect(failure.mark == Mark(line: 2, column: 49))
    }

    @Test func theErrorNamesFileLineAndColumnInValidation() {
        let result = ManifestLoader.load(MemoryTree(files: ["deep.yaml": Array(Self.chain(anchors: 55, levels: 40).utf8)]))
        #expect(result.diagnostics.map(\.rendered) == ["deep.yaml:2:49: nesting is deeper than 64 levels once aliases are expanded"])
    }

    @Test func aliasesThatStayWithinTheLimitAreExpanded() {
        // With 20 lists each alias sits at level 22: a0 is 21 levels high, a1 41, a2 61; *a2 would
        // reach level 82. Three anchors load, a fourth is refused.
        #expect((try? YAMLLoader.load(Array(Self.chain(anchors: 3, levels: 20).utf8)).get())?.count == 1)
        #expect((try? YAMLLoader.load(Array(Self.chain(anchors: 4, levels: 20).utf8)).get()) == nil)
    }

    /// `exclude:` patterns are matched against every file path: `**` segments must not make that
    /// exponential in the path's depth (each one used to retry every split of the rest).
    @Test func excludePatternsWithManyDoubleStarsMatchDeepPathsQuickly() {
        let pattern = Array(repeating: "**/x", count: 12).joined(separator: "/") + "/z.yaml"
        let path = Array(repeating: "x", count: 30).joined(separator: "/") + "/y.yaml"
        let start = ContinuousClock.now
        #expect(!Glob.pathMatches(pattern, path))
        #expect(Glob.pathMatches(pattern, Array(repeating: "x", count: 30).joined(separator: "/") + "/z.yaml"))
        #expect(ContinuousClock.now - start < .seconds(1))
    }
}
