@testable import CapstanCore
import Testing

struct YAMLLoaderTests {
    private func load(_ text: String, limits: YAMLLimits = YAMLLimits()) -> Result<[YAMLDocument], YAMLLoader.Failure> {
        YAMLLoader.load(Array(text.utf8), limits: limits)
    }

    private func failure(_ text: String, limits: YAMLLimits = YAMLLimits()) -> YAMLLoader.Failure? {
        if case .failure(let f) = load(text, limits: limits) { return f }
        return nil
    }

    @Test func keepsLineAndColumnOfEveryNode() throws {
        let docs = try load("a: 1\nb:\n  - x\n  - {c: d}\n").get()
        guard case .mapping(let pairs) = docs[0].root.value else { Issue.record("not a mapping"); return }
        #expect(pairs[0].key.mark == Mark(line: 1, column: 1))
        #expect(pairs[0].value.mark == Mark(line: 1, column: 4))
        guard case .sequence(let items) = pairs[1].value.value else { Issue.record("not a list"); return }
        #expect(items[0].mark == Mark(line: 3, column: 5))
        guard case .mapping(let inner) = items[1].value else { Issue.record("not a mapping"); return }
        #expect(inner[0].value.mark == Mark(line: 4, column: 9))
    }

    @Test func readsEveryDocumentAndSkipsEmptyOnes() throws {
        let docs = try load("a: 1\n---\n---\nb: 2\n...\n").get()
        #expect(docs.count == 2)
        #expect(docs[1].root.mark.line == 4)
    }

    @Test func duplicateKeyPointsAtTheSecondKey() {
        let f = failure("name: a\nspec: {}\nname: b\n")
        #expect(f?.mark == Mark(line: 3, column: 1))
        #expect(f?.message.contains("duplicate key \"name\" (first defined at line 1, column 1)") == true)
    }

    @Test func billionLaughsIsRefusedQuickly() {
        var text = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for i in 1...9 {
            let refs = Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ")
            text += "a\(i): &a\(i) [\(refs)]\n"
        }
        let f = failure(text)
        #expect(f?.message.contains("more than 100000 nodes once aliases are expanded") == true)
        #expect(f?.mark.line ?? 0 >= 5)
    }

    @Test func aliasesWithinBoundsAreExpanded() throws {
        let docs = try load("base: &b {x: 1}\ncopy: *b\n").get()
        guard case .mapping(let pairs) = docs[0].root.value, case .mapping(let copy) = pairs[1].value.value else {
            Issue.record("not expanded"); return
        }
        #expect(copy.first?.key.scalar?.text == "x")
        #expect(pairs[1].value.mark == Mark(line: 2, column: 7))
    }

    @Test func unknownAliasIsAnError() {
        #expect(failure("a: *nope\n")?.message.contains("alias *nope refers to no anchor") == true)
    }

    @Test func nestingDepthIsBounded() {
        let deep = String(repeating: "[", count: 70) + String(repeating: "]", count: 70)
        let f = failure("a: \(deep)\n")
        #expect(f?.message.contains("nesting is deeper than 64 levels") == true)
        var limits = YAMLLimits()
        limits.maxDepth = 100
        #expect(failure("a: \(deep)\n", limits: limits) == nil)
    }

    @Test func fileSizeIsBounded() {
        var limits = YAMLLimits()
        limits.maxFileBytes = 10
        #expect(failure("key: a long value\n", limits: limits)?.message.contains("larger than the limit of 10 bytes") == true)
    }

    @Test func nonUTF8NamesTheByteOffset() {
        var bytes = Array("a: 1\nb: caf".utf8)
        bytes.append(0xE9)  // Latin-1 "é"
        bytes += Array("\n".utf8)
        guard case .failure(let f) = YAMLLoader.load(bytes) else { Issue.record("accepted"); return }
        #expect(f.message.contains("invalid byte 0xE9 at byte offset 11"))
        #expect(f.mark == Mark(line: 2, column: 7))
    }

    @Test func overlongAndSurrogateEncodingsAreInvalidUTF8() {
        #expect(firstInvalidUTF8Offset([0x61, 0xC0, 0xAF]) == 1)
        #expect(firstInvalidUTF8Offset([0xED, 0xA0, 0x80]) == 0)
        #expect(firstInvalidUTF8Offset(Array("héllo ✓ 🚀".utf8)) == nil)
    }

    @Test func tabIndentationGetsAPlainExplanation() {
        let f = failure("metadata:\n\tname: x\n")
        #expect(f?.mark == Mark(line: 2, column: 1))
        #expect(f?.message.contains("tab character") == true)
        #expect(f?.hint?.contains("spaces") == true)
    }

    @Test func syntaxErrorsCarryTheirPosition() {
        let f = failure("a: \"unclosed\nb: 2\n")
        #expect(f?.message.hasPrefix("invalid YAML") == true)
        #expect(f?.mark.line ?? 0 >= 1)
    }

    @Test("YAML 1.2 core typing, never 1.1 guessing", arguments: [
        ("no", ResolvedScalar.string("no")), ("yes", .string("yes")), ("on", .string("on")),
        ("off", .string("off")), ("y", .string("y")), ("true", .bool(true)), ("False", .bool(false)),
        ("~", .null), ("null", .null), ("", .null), ("42", .int(42)), ("-7", .int(-7)), ("0x1F", .int(31)),
        ("0o17", .int(15)), ("0.5", .float(0.5)), ("1e3", .float(1000)), (".5", .float(0.5)),
        ("1_000", .string("1_000")), ("0.5Gi", .string("0.5Gi")), ("3.11", .float(3.11)), ("012", .int(12)),
    ])
    func plainScalarsResolveByTheCoreSchema(_ text: String, _ expected: ResolvedScalar) {
        #expect(YAMLScalar(text: text, style: .plain).resolved == expected)
    }

    @Test func quotedAndTaggedScalarsAreStrings() throws {
        #expect(YAMLScalar(text: "true", style: .quoted).resolved == .string("true"))
        let docs = try load("a: !!str 123\nb: !custom x\n").get()
        guard case .mapping(let pairs) = docs[0].root.value else { return }
        #expect(pairs[0].value.scalar?.resolved == .string("123"))
        #expect(pairs[1].value.scalar?.resolved == .unsupportedTag("!custom"))
    }
}
