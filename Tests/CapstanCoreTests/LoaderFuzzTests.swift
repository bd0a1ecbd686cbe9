@testable import CapstanCore
import Foundation
import Testing

/// Mutates the valid examples at random (fixed seed) and checks that loading never crashes and
/// always ends in either a valid result or diagnostics that point into the files.
struct LoaderFuzzTests {
    /// SplitMix64: small, fast and the same on every machine, so a failure is reproducible.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Every file of a repository directory, as an in-memory tree.
    static func snapshot(_ directory: String) -> MemoryTree {
        var files: [String: [UInt8]] = [:]
        let root = URL(fileURLWithPath: directory)
        let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
        while let url = walker?.nextObject() as? URL {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true,
                  let data = try? Data(contentsOf: url) else { continue }
            files[String(url.path.dropFirst(root.path.count + 1))] = Array(data)
        }
        return MemoryTree(files: files)
    }

    static let replacements: [String] = [
        "[1, 2]", "{a: b}", "yes", "~", "\"\"", "-1", "0.5", "*x", "&x y", "!!int z", "\t", "'unclosed", "|\n  block",
        String(repeating: "[", count: 80), "\u{FEFF}", "é", "\"\\u0000\"",
    ]

    static func mutate(_ bytes: [UInt8], _ rng: inout SeededGenerator) -> [UInt8] {
        guard !bytes.isEmpty else { return bytes }
        var b = bytes
        var lines = String(decoding: b, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        switch Int.random(in: 0..<7, using: &rng) {
        case 0:  // truncate anywhere, even inside a UTF-8 sequence
            b.removeSubrange(Int.random(in: 0..<b.count)...)
            return b
        case 1:  // flip a byte
            let i = Int.random(in: 0..<b.count, using: &rng)
            b[i] ^= UInt8.random(in: 1...255, using: &rng)
            return b
        case 2:  // duplicate a line (duplicate keys, repeated list items)
            let i = Int.random(in: 0..<lines.count, using: &rng)
            lines.insert(lines[i], at: i)
        case 3:  // swap a value for one of another type
            let i = Int.random(in: 0..<lines.count, using: &rng)
            if let colon = lines[i].firstIndex(of: ":") {
                lines[i] = String(lines[i][...colon]) + " " + replacements.randomElement(using: &rng)!
            }
        case 4:  // drop a line
            lines.remove(at: Int.random(in: 0..<lines.count, using: &rng))
        case 5:  // re-indent a line
            let i = Int.random(in: 0..<lines.count, using: &rng)
            lines[i] = String(repeating: " ", count: Int.random(in: 0...6, using: &rng)) + lines[i].drop { $0 == " " }
        default:  // swap two lines
            let i = Int.random(in: 0..<lines.count, using: &rng), j = Int.random(in: 0..<lines.count, using: &rng)
            lines.swapAt(i, j)
        }
        return Array(lines.joined(separator: "\n").utf8)
    }

    @Test func mutatedExamplesNeverCrashTheLoader() {
        let trees = (Fixtures.examples + Fixtures.validCases).map(Self.snapshot).filter { !$0.files.isEmpty }
        #expect(!trees.isEmpty)
        var rng = SeededGenerator(state: 20261127)
        var invalid = 0
        let cases = 3000
        for _ in 0..<cases {
            var tree = trees.randomElement(using: &rng)!
            let yamlFiles = tree.files.keys.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
            guard let target = yamlFiles.randomElement(using: &rng) else { continue }
            tree.files[target] = Self.mutate(tree.files[target]!, &rng)
            if Bool.random(using: &rng) { tree.files[target] = Self.mutate(tree.files[target]!, &rng) }

            let result = ManifestLoader.load(tree)
            if result.isValid { continue }
            invalid += 1
            for d in result.diagnostics {
                #expect(d.mark.line >= 1 && d.mark.column >= 1, "bad position \(d.rendered)")
                #expect(tree.files[d.file] != nil || d.file == ".", "diagnostic names an unknown file: \(d.rendered)")
                #expect(!d.message.isEmpty)
            }
        }
        // Most mutations must be caught; a fuzzer that never produces errors tests nothing.
        #expect(invalid > cases / 3)
    }
}
