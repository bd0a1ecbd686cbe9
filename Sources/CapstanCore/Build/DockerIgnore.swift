/// `.dockerignore` as the Docker CLI applies it: patterns relative to the context root, `*`
/// and `?` within a path segment, `**` across segments, `!` re-includes, the last matching
/// line wins, and a pattern that matches a directory matches everything below it.
public struct DockerIgnore: Sendable {
    private struct Rule: Sendable {
        var segments: [String]
        var exclude: Bool
    }

    private let rules: [Rule]

    public init(_ text: String) {
        var rules: [Rule] = []
        for raw in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            var line = raw.trimmingSpaces()
            if line.isEmpty || line.hasPrefix("#") { continue }
            var exclude = true
            if line.hasPrefix("!") {
                exclude = false
                line = String(line.dropFirst()).trimmingSpaces()
            }
            // Like the CLI, clean the pattern: no leading "/", no "." segments.
            let segments = line.split(separator: "/").map(String.init).filter { $0 != "." }
            if !segments.isEmpty { rules.append(Rule(segments: segments, exclude: exclude)) }
        }
        self.rules = rules
    }

    public func excludes(_ path: String) -> Bool {
        let components = path.split(separator: "/").map(String.init)
        var excluded = false
        for rule in rules where Self.matches(rule.segments[...], components) {
            excluded = rule.exclude
        }
        return excluded
    }

    /// True when the pattern matches the path or one of its parent directories.
    private static func matches(_ pattern: ArraySlice<String>, _ components: [String]) -> Bool {
        (1...max(components.count, 1)).contains { n in match(pattern, components.prefix(n)[...]) }
    }

    private static func match(_ p: ArraySlice<String>, _ c: ArraySlice<String>) -> Bool {
        guard let first = p.first else { return c.isEmpty }
        if first == "**" {
            return (0...c.count).contains { match(p.dropFirst(), c.dropFirst($0)) }
        }
        guard let head = c.first, Glob.matches(first, head) else { return false }
        return match(p.dropFirst(), c.dropFirst())
    }
}

extension StringProtocol {
    fileprivate func trimmingSpaces() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
