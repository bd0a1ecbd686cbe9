/// A minimal ustar writer for build contexts in tests: regular files with short paths only.
enum TestTar {
    static func archive(_ files: [(path: String, contents: String)]) -> [UInt8] {
        var out: [UInt8] = []
        for file in files {
            let data = Array(file.contents.utf8)
            var header = [UInt8](repeating: 0, count: 512)
            put(file.path, at: 0, width: 100, in: &header)
            put(octal(0o644, width: 8), at: 100, width: 8, in: &header)
            put(octal(0, width: 8), at: 108, width: 8, in: &header)
            put(octal(0, width: 8), at: 116, width: 8, in: &header)
            put(octal(data.count, width: 12), at: 124, width: 12, in: &header)
            put(octal(0, width: 12), at: 136, width: 12, in: &header)
            header[156] = UInt8(ascii: "0")
            put("ustar", at: 257, width: 6, in: &header)
            put("00", at: 263, width: 2, in: &header)
            // The checksum is computed with its own field read as eight spaces.
            for i in 148..<156 { header[i] = UInt8(ascii: " ") }
            let sum = header.reduce(0) { $0 + Int($1) }
            put(octal(sum, width: 7), at: 148, width: 7, in: &header)
            out += header + data
            out += [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
        }
        return out + [UInt8](repeating: 0, count: 1024)
    }

    /// Zero-padded octal digits followed by a NUL, filling `width` bytes.
    private static func octal(_ value: Int, width: Int) -> String {
        let digits = String(value, radix: 8)
        return String(repeating: "0", count: width - 1 - digits.count) + digits
    }

    private static func put(_ text: String, at offset: Int, width: Int, in header: inout [UInt8]) {
        for (i, byte) in text.utf8.prefix(width).enumerated() { header[offset + i] = byte }
    }
}
