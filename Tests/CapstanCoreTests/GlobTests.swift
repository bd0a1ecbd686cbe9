@testable import CapstanCore
import Testing

struct GlobTests {
    @Test(arguments: [
        ("*", "anything", true), ("delete_*", "delete_file", true), ("delete_*", "undelete_file", false),
        ("get_?", "get_a", true), ("get_?", "get_ab", false), ("*_forecast", "get_forecast", true),
        ("a*b*c", "axxbyyc", true), ("a*b*c", "axxbyy", false), ("exact", "exact", true), ("exact", "exactly", false),
    ])
    func toolPatternsMatchLikeAShell(_ pattern: String, _ name: String, _ expected: Bool) {
        #expect(Glob.matches(pattern, name) == expected)
    }

    @Test(arguments: [
        ("charts", "charts/app/values.yaml", true), ("*.tmpl.yaml", "deep/dir/x.tmpl.yaml", true),
        ("ci/*.yaml", "ci/a.yaml", true), ("ci/*.yaml", "other/ci/a.yaml", false),
        ("**/kustomization.yaml", "a/b/kustomization.yaml", true), ("**/kustomization.yaml", "kustomization.yaml", true),
        ("docs/**", "docs/x/y.yaml", true), ("docs", "servers.yaml", false),
    ])
    func excludePathsMatchLikeGitignore(_ pattern: String, _ path: String, _ expected: Bool) {
        #expect(Glob.pathMatches(pattern, path) == expected)
    }
}
