/// Textual edits of a JSON configuration file: one member or array element is inserted, replaced
/// or removed, and every other byte stays as it was (order, indentation, comments in JSONC).
/// Inserting and then removing the same member gives back the original bytes.
struct ConfigJSONEditor {
    private(set) var bytes: [UInt8]
    let allowComments: Bool

    init(_ bytes: [UInt8], allowComments: Bool) {
        self.bytes = bytes
        self.allowComments = allowComments
    }

    func root() throws(ClientConfigError) -> ConfigJSONNode? {
        try ConfigJSONParser.parse(bytes, allowComments: allowComments)
    }

    /// The indentation step of the file: that of the root object's first member, else two spaces.
    func indentUnit(_ root: ConfigJSONNode) -> String {
        if let first = root.members?.first, startsLine(first.keyStart) {
            let indent = lineIndent(first.keyStart)
            if !indent.isEmpty { return indent }
        }
        return "  "
    }

    // MARK: objects

    /// Sets `key` in the object `object` to `value`: replaces the member's value if it exists,
    /// appends the member otherwise. Returns false when the value was already equal as data.
    @discardableResult
    mutating func set(_ key: String, to value: ConfigJSON, in object: ConfigJSONNode, unit: String) -> Bool {
        guard let members = object.members else { return false }
        if let member = members.first(where: { $0.key == key }) {
            if member.value.value.sameValue(as: value) { return false }
            let indent = startsLine(member.keyStart) ? lineIndent(member.keyStart) : lineIndent(object.start) + unit
            replace(member.value.start..<member.value.end, with: value.rendered(indent: indent, unit: unit))
            return true
        }
        insert(ConfigJSON.quoted(key) + ": ", value, into: object, starts: members.map(\.keyStart),
               lastEnd: members.last?.value.end, unit: unit)
        return true
    }

    /// Removes `key` from the object; false when it is not there.
    @discardableResult
    mutating func remove(_ key: String, from object: ConfigJSONNode) -> Bool {
        guard let members = object.members, let index = members.firstIndex(where: { $0.key == key }) else { return false }
        remove(at: index, starts: members.map(\.keyStart), ends: members.map(\.value.end), in: object)
        return true
    }

    // MARK: arrays

    /// Replaces the first element that `matches`, or appends `value`. False when an equal element
    /// was already there.
    @discardableResult
    mutating func set(element value: ConfigJSON, in array: ConfigJSONNode, unit: String,
                      matching matches: (ConfigJSON) -> Bool) -> Bool {
        guard let elements = array.elements else { return false }
        if let element = elements.first(where: { matches($0.value) }) {
            if element.value.sameValue(as: value) { return false }
            let indent = startsLine(element.start) ? lineIndent(element.start) : lineIndent(array.start) + unit
            replace(element.start..<element.end, with: value.rendered(indent: indent, unit: unit))
            return true
        }
        insert("", value, into: array, starts: elements.map(\.start), lastEnd: elements.last?.end, unit: unit)
        return true
    }

    @discardableResult
    mutating func removeElement(in array: ConfigJSONNode, matching matches: (ConfigJSON) -> Bool) -> Bool {
        guard let elements = array.elements, let index = elements.firstIndex(where: { matches($0.value) }) else { return false }
        remove(at: index, starts: elements.map(\.start), ends: elements.map(\.end), in: array)
        return true
    }

    // MARK: shared

    /// Appends `prefix + value` after the last entry of a container, on a line of its own
    /// indented like the first entry.
    private mutating func insert(_ prefix: String, _ value: ConfigJSON, into container: ConfigJSONNode,
                                 starts: [Int], lastEnd: Int?, unit: String) {
        let indent: String
        if let first = starts.first, startsLine(first) {
            indent = lineIndent(first)
        } else {
            indent = lineIndent(container.start) + unit
        }
        let entry = prefix + value.rendered(indent: indent, unit: unit)
        if let lastEnd {
            replace(lastEnd..<lastEnd, with: ",\n" + indent + entry)
            return
        }
        let interior = (container.start + 1)..<(container.end - 1)
        if bytes[interior].allSatisfy(isSpace) {
            replace(interior, with: "\n" + indent + entry + "\n" + lineIndent(container.start))
        } else {
            // Only comments inside: the entry goes first, the comments stay after it.
            replace(interior.lowerBound..<interior.lowerBound, with: "\n" + indent + entry)
        }
    }

    /// Removes entry `index` together with the separator that joined it to its neighbour, so
    /// that removing what `insert` added restores the bytes before it.
    private mutating func remove(at index: Int, starts: [Int], ends: [Int], in container: ConfigJSONNode) {
        if index > 0 {
            replace(ends[index - 1]..<ends[index], with: "")
        } else if starts.count > 1 {
            replace(starts[0]..<starts[1], with: "")
        } else {
            let interior = (container.start + 1)..<(container.end - 1)
            let before = bytes[interior.lowerBound..<starts[0]]
            var after = ends[0]
            while after < interior.upperBound, isSpace(bytes[after]) { after += 1 }
            if after < interior.upperBound, bytes[after] == UInt8(ascii: ",") { after += 1 }
            let rest = bytes[after..<interior.upperBound]
            if before.allSatisfy(isSpace) && rest.allSatisfy(isSpace) {
                replace(interior, with: "")
            } else {
                replace(starts[0]..<after, with: "")
            }
        }
    }

    private mutating func replace(_ range: Range<Int>, with text: String) {
        bytes.replaceSubrange(range, with: Array(text.utf8))
    }

    private func lineStart(_ offset: Int) -> Int {
        var j = offset
        while j > 0, bytes[j - 1] != UInt8(ascii: "\n") { j -= 1 }
        return j
    }

    /// The spaces and tabs that begin the line holding `offset`.
    private func lineIndent(_ offset: Int) -> String {
        var j = lineStart(offset)
        var indent: [UInt8] = []
        while j < bytes.count, bytes[j] == 0x20 || bytes[j] == 0x09 {
            indent.append(bytes[j])
            j += 1
        }
        return String(decoding: indent, as: UTF8.self)
    }

    /// True when only indentation precedes `offset` on its line.
    private func startsLine(_ offset: Int) -> Bool {
        bytes[lineStart(offset)..<offset].allSatisfy { $0 == 0x20 || $0 == 0x09 }
    }
}

private func isSpace(_ b: UInt8) -> Bool {
    b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09
}
