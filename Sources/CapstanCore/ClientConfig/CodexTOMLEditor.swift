/// Textual edits of Codex's `config.toml`: only the `[mcp_servers.NAME]` table (with its
/// subtables) is appended, replaced or removed; every other byte of the file stays as it was.
struct CodexTOMLEditor {
    private(set) var bytes: [UInt8]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    private struct Line {
        var start: Int
        /// Offset after the line's newline (or the end of the file).
        var next: Int
        /// The key path of a `[table]` or `[[array]]` header on this line.
        var header: [String]?
        /// The key path before `=` of a key/value line.
        var key: [String]?
        /// Blank, or only a comment.
        var empty: Bool
    }

    /// The byte range of the server's table: from its header to the end of its last key line.
    func tableRange(_ name: String) throws(ClientConfigError) -> Range<Int>? {
        let lines = scan()
        var currentTable: [String] = []
        var range: Range<Int>?
        var lastContent: Int?
        for (number, line) in lines.enumerated() {
            if let header = line.header {
                currentTable = header
                let ours = header.count >= 2 && header[0] == "mcp_servers" && header[1] == name
                if ours && range == nil && header.count == 2 {
                    range = line.start..<line.next
                } else if !ours, let r = range, let end = lastContent {
                    return r.lowerBound..<end
                }
                if ours && range != nil { lastContent = line.next }
                continue
            }
            if let key = line.key {
                let path = currentTable + key
                let ours = path.count >= 2 && path[0] == "mcp_servers" && path[1] == name
                if ours && (range == nil || currentTable.count < 2) {
                    throw .unmanagedTOMLForm(name: name, line: number + 1)
                }
            }
            if range != nil && !line.empty { lastContent = line.next }
        }
        if let r = range, let end = lastContent { return r.lowerBound..<end }
        return nil
    }

    /// Sets the table to `block` (which ends with a newline). False when it already was exactly that.
    @discardableResult
    mutating func set(_ name: String, block: String) throws(ClientConfigError) -> Bool {
        let text = Array(block.utf8)
        if let range = try tableRange(name) {
            if Array(bytes[range]) == text { return false }
            bytes.replaceSubrange(range, with: text)
            return true
        }
        if bytes.isEmpty {
            bytes = text
        } else if let end = endOfServerTables(), end < bytes.count {
            // After the other servers, set apart by a blank line, as `codex mcp add` groups them.
            bytes.insert(contentsOf: Array(("\n" + block).utf8), at: end)
        } else {
            let separator = (bytes.last == UInt8(ascii: "\n") ? "" : "\n") + "\n"
            bytes += Array(separator.utf8) + text
        }
        return true
    }

    /// Removes the table and the blank line that set it apart; returns its text, nil when absent.
    mutating func remove(_ name: String) throws(ClientConfigError) -> String? {
        guard let range = try tableRange(name) else { return nil }
        let removed = String(decoding: bytes[range], as: UTF8.self)
        bytes.removeSubrange(range)
        let start = range.lowerBound
        let blankBefore = start >= 2 && bytes[start - 1] == UInt8(ascii: "\n") && bytes[start - 2] == UInt8(ascii: "\n")
        let blankAfter = start == bytes.count || bytes[start] == UInt8(ascii: "\n")
        if blankBefore && blankAfter { bytes.remove(at: start - 1) }
        return removed
    }

    /// Where the last `[mcp_servers.*]` table's last key line ends (after its newline).
    private func endOfServerTables() -> Int? {
        var inServers = false
        var end: Int?
        for line in scan() {
            if let header = line.header {
                inServers = header.first == "mcp_servers"
                if inServers { end = line.next }
            } else if inServers && !line.empty {
                end = line.next
            }
        }
        guard let end, end > 0, bytes[end - 1] == UInt8(ascii: "\n") else { return nil }
        return end
    }

    // MARK: scanning

    private func scan() -> [Line] {
        var lines: [Line] = []
        var i = 0
        var multiline: [UInt8]?  // the closing delimiter of a multi-line string in progress
        while i < bytes.count {
            var end = i
            while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
            let next = min(end + 1, bytes.count)
            var line = Line(start: i, next: next, header: nil, key: nil, empty: false)
            let text = Array(bytes[i..<end])
            if let closing = multiline {
                if let at = find(closing, in: text, from: 0) {
                    multiline = nil
                    multiline = openMultiline(text, from: at + closing.count)
                }
            } else {
                var j = 0
                while j < text.count, text[j] == 0x20 || text[j] == 0x09 { j += 1 }
                if j == text.count || text[j] == UInt8(ascii: "#") || text[j] == 0x0D {
                    line.empty = true
                } else if text[j] == UInt8(ascii: "[") {
                    let array = j + 1 < text.count && text[j + 1] == UInt8(ascii: "[")
                    line.header = keyPath(text, from: j + (array ? 2 : 1), until: UInt8(ascii: "]")).path
                } else {
                    let parsed = keyPath(text, from: j, until: UInt8(ascii: "="))
                    line.key = parsed.path
                    multiline = openMultiline(text, from: parsed.end)
                }
            }
            lines.append(line)
            i = next
        }
        return lines
    }

    /// A dotted key (`a."b.c".d`) up to `terminator`, and where the scan stopped.
    private func keyPath(_ text: [UInt8], from start: Int, until terminator: UInt8) -> (path: [String], end: Int) {
        var parts: [String] = []
        var current: [UInt8] = []
        var j = start
        while j < text.count {
            let b = text[j]
            if b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") {
                j += 1
                while j < text.count, text[j] != b {
                    if b == UInt8(ascii: "\""), text[j] == UInt8(ascii: "\\"), j + 1 < text.count { j += 1 }
                    current.append(text[j])
                    j += 1
                }
                j += 1
                continue
            }
            if b == terminator { j += 1; break }
            if b == UInt8(ascii: ".") {
                parts.append(String(decoding: current, as: UTF8.self))
                current = []
            } else if b != 0x20 && b != 0x09 {
                current.append(b)
            }
            j += 1
        }
        parts.append(String(decoding: current, as: UTF8.self))
        return (parts, j)
    }

    /// The closing delimiter when a multi-line string opens after `from` and does not close on
    /// the same line.
    private func openMultiline(_ text: [UInt8], from start: Int) -> [UInt8]? {
        var j = start
        while j < text.count {
            let b = text[j]
            if b == UInt8(ascii: "#") { return nil }
            if b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") {
                let triple = [b, b, b]
                if j + 3 <= text.count, Array(text[j..<j + 3]) == triple {
                    guard let close = find(triple, in: text, from: j + 3) else { return triple }
                    j = close + 3
                    continue
                }
                j += 1
                while j < text.count, text[j] != b {
                    if b == UInt8(ascii: "\""), text[j] == UInt8(ascii: "\\") { j += 1 }
                    j += 1
                }
            }
            j += 1
        }
        return nil
    }

    private func find(_ needle: [UInt8], in text: [UInt8], from start: Int) -> Int? {
        guard needle.count <= text.count else { return nil }
        var j = start
        while j + needle.count <= text.count {
            if Array(text[j..<j + needle.count]) == needle {
                // A backslash before `"""` escapes a quote in a basic string.
                if needle[0] == UInt8(ascii: "\""), j > 0, text[j - 1] == UInt8(ascii: "\\") { j += 1; continue }
                return j
            }
            j += 1
        }
        return nil
    }
}
