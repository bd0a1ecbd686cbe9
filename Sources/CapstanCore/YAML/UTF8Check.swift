/// Offset of the first byte that breaks UTF-8, or nil when the whole input is valid.
func firstInvalidUTF8Offset(_ bytes: [UInt8]) -> Int? {
    var i = 0
    let n = bytes.count
    while i < n {
        let b = bytes[i]
        if b < 0x80 { i += 1; continue }
        let length: Int
        var minScalar: UInt32
        var scalar: UInt32
        switch b {
        case 0xC2...0xDF: length = 2; scalar = UInt32(b & 0x1F); minScalar = 0x80
        case 0xE0...0xEF: length = 3; scalar = UInt32(b & 0x0F); minScalar = 0x800
        case 0xF0...0xF4: length = 4; scalar = UInt32(b & 0x07); minScalar = 0x10000
        default: return i
        }
        guard i + length <= n else { return i }
        for k in 1..<length {
            let c = bytes[i + k]
            guard c & 0xC0 == 0x80 else { return i }
            scalar = scalar << 6 | UInt32(c & 0x3F)
        }
        if scalar < minScalar || scalar > 0x10FFFF || (0xD800...0xDFFF).contains(scalar) { return i }
        minScalar = 0
        i += length
    }
    return nil
}

/// Line and column (in characters) of a byte offset, for errors found before parsing.
func markOfByte(_ offset: Int, in bytes: [UInt8]) -> Mark {
    var line = 1
    var column = 1
    var i = 0
    while i < offset {
        let breakLength = lineBreakLength(bytes, at: i)
        if breakLength > 0 {
            line += 1
            column = 1
            i += breakLength
            continue
        }
        if bytes[i] & 0xC0 != 0x80 { column += 1 }
        i += 1
    }
    return Mark(line: line, column: column)
}

/// How many lines libyaml counts in `bytes`: one more than its line breaks.
func lineCount(_ bytes: [UInt8]) -> Int {
    var lines = 1
    var i = 0
    while i < bytes.count {
        let breakLength = lineBreakLength(bytes, at: i)
        if breakLength > 0 { lines += 1 }
        i += max(breakLength, 1)
    }
    return lines
}

/// The length of the line break at `i`, or 0. These are libyaml's (YAML 1.1) breaks: LF, CR,
/// CRLF as one, NEL, LS and PS. Counting only LF put positions in a file with CR line ends on
/// another line than libyaml's own marks.
func lineBreakLength(_ bytes: [UInt8], at i: Int) -> Int {
    switch bytes[i] {
    case 0x0A: return 1
    case 0x0D: return i + 1 < bytes.count && bytes[i + 1] == 0x0A ? 2 : 1
    case 0xC2: return i + 1 < bytes.count && bytes[i + 1] == 0x85 ? 2 : 0
    case 0xE2: return i + 2 < bytes.count && bytes[i + 1] == 0x80 && (bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9) ? 3 : 0
    default: return 0
    }
}
