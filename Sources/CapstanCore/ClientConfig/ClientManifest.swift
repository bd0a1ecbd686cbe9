/// A Client's token and the manifest that holds its hash: generated, rendered, and the hash
/// replaced in place.
public enum ClientToken {
    /// Marks Capstan's tokens so secret scanners can recognise a leaked one.
    public static let prefix = "capstan_"

    /// `capstan_` and 32 random bytes in hex.
    public static func generate<R: RandomNumberGenerator>(using generator: inout R) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        for _ in 0..<32 {
            let byte = UInt8.random(in: 0...255, using: &generator)
            hex += [digits[Int(byte >> 4)], digits[Int(byte & 0xF)]]
        }
        return prefix + String(decoding: hex, as: UTF8.self)
    }

    /// `sha256:<hex>` of the token as the gateway hashes a presented bearer token.
    public static func hash(_ token: String) -> String {
        "sha256:" + sha256Hex(Array(token.utf8))
    }
}

public enum ClientManifest {
    /// A new Client manifest file. `schema` is the path of `manifest.schema.json` relative to the
    /// file, for editors that read the `yaml-language-server` modeline.
    public static func render(name: String, app: ClientApp, labels: [(key: String, value: String)],
                              tokenHash: String, schema: String?) -> String {
        var text = ""
        if let schema { text += "# yaml-language-server: $schema=\(schema)\n" }
        text += """
            # The client holds the token; git holds only its SHA-256.
            # New token: capstan client rotate \(name)
            apiVersion: capstan/v1
            kind: Client
            metadata:
              name: \(name)

            """
        if !labels.isEmpty {
            text += "  labels:\n"
            for label in labels { text += "    \(label.key): \(ConfigJSON.quoted(label.value))\n" }
        }
        text += """
            spec:
              app: \(app.rawValue)
              tokenHash: \(tokenHash)

            """
        return text
    }

    /// Where the `spec.tokenHash` value of Client `name` starts in a file's documents.
    public static func tokenHashMark(in documents: [YAMLDocument], client name: String) -> Mark? {
        for document in documents {
            guard scalar(document.root, "kind") == "Client",
                  let metadata = child(document.root, "metadata"), scalar(metadata, "name") == name,
                  let spec = child(document.root, "spec"), let hash = child(spec, "tokenHash"), hash.scalar != nil
            else { continue }
            return hash.mark
        }
        return nil
    }

    /// The file with the scalar at `mark` (1-based line and column, columns counting characters
    /// as libyaml does) replaced by `new`, every other byte unchanged. Nil unless the scalar
    /// there is `expected`, plain or in quotes.
    public static func replacing(_ expected: String, at mark: Mark, in bytes: [UInt8], with new: String) -> [UInt8]? {
        var line = 1
        var column = 1
        var offset = 0
        while offset < bytes.count, (line, column) < (mark.line, mark.column) {
            if bytes[offset] == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if bytes[offset] & 0xC0 != 0x80 {
                column += 1
            }
            offset += 1
            while offset < bytes.count, bytes[offset] & 0xC0 == 0x80 { offset += 1 }
        }
        guard (line, column) == (mark.line, mark.column), offset < bytes.count else { return nil }
        if bytes[offset] == UInt8(ascii: "\"") || bytes[offset] == UInt8(ascii: "'") { offset += 1 }
        let old = Array(expected.utf8)
        guard bytes.count - offset >= old.count, Array(bytes[offset..<offset + old.count]) == old else { return nil }
        var result = bytes
        result.replaceSubrange(offset..<offset + old.count, with: Array(new.utf8))
        return result
    }

    private static func child(_ node: YAMLNode, _ key: String) -> YAMLNode? {
        guard case .mapping(let pairs) = node.value else { return nil }
        return pairs.first { $0.key.scalar?.text == key }?.value
    }

    private static func scalar(_ node: YAMLNode, _ key: String) -> String? {
        child(node, key)?.scalar?.text
    }

}
