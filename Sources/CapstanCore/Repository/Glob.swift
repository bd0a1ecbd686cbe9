/// Shell-style wildcards: `*` any run of characters, `?` one character. For tool patterns
/// (`delete_*`) and, segment by segment, for `exclude:` paths (where `**` spans directories).
public enum Glob {
    public static func matches(_ pattern: String, _ text: String) -> Bool {
        match(Array(pattern.utf8)[...], Array(text.utf8)[...])
    }

    public static func hasWildcards(_ pattern: String) -> Bool {
        pattern.contains("*") || pattern.contains("?")
    }

    private static func match(_ p: ArraySlice<UInt8>, _ t: ArraySlice<UInt8>) -> Bool {
        // Iterative with one backtrack point: linear enough for names of 128 characters.
        var pi = p.startIndex, ti = t.startIndex
        var star: Int?
        var starText = t.startIndex
        while ti < t.endIndex {
            if pi < p.endIndex, p[pi] == UInt8(ascii: "?") || p[pi] == t[ti] {
                pi += 1
                ti += 1
            } else if pi < p.endIndex, p[pi] == UInt8(ascii: "*") {
                star = pi
                pi += 1
                starText = ti
            } else if let s = star {
                pi = s + 1
                starText += 1
                ti = starText
            } else {
                return false
            }
        }
        while pi < p.endIndex, p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.endIndex
    }

    /// Whether `path` (relative, "/"-separated) is excluded by `pattern`. A pattern without "/"
    /// matches a file or directory name at any depth, as in .gitignore; one with "/" matches from
    /// the root, `**` standing for any number of directories. A matching directory excludes
    /// everything below it.
    public static func pathMatches(_ pattern: String, _ path: String) -> Bool {
        let components = path.split(separator: "/").map(String.init)
        var trimmed = pattern
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        if !trimmed.contains("/") {
            return components.contains { matches(trimmed, $0) }
        }
        let segments = trimmed.split(separator: "/").map(String.init)
        // A prefix of the path matching the whole pattern means a directory was excluded.
        return (1...max(components.count, 1)).contains { n in
            matchSegments(segments, components.prefix(n))
        }
    }

    /// Whether pattern segments match path components, `**` standing for any number of them.
    /// Each (segment, component) answer is remembered: retrying every split for every `**`
    /// was exponential in the path's depth (a pattern of twelve `**/x` took minutes).
    private static func matchSegments(_ p: [String], _ c: ArraySlice<String>) -> Bool {
        let c = Array(c)
        var known: [Int: Bool] = [:]
        func match(_ pi: Int, _ ci: Int) -> Bool {
            let key = pi * (c.count + 1) + ci
            if let answer = known[key] { return answer }
            let answer: Bool
            if pi == p.count {
                answer = ci == c.count
            } else if p[pi] == "**" {
                answer = (ci...c.count).contains { match(pi + 1, $0) }
            } else {
                answer = ci < c.count && matches(p[pi], c[ci]) && match(pi + 1, ci + 1)
            }
            known[key] = answer
            return answer
        }
        return match(0, 0)
    }
}
