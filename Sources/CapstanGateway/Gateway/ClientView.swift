import CapstanCore
import Foundation

/// What one client sees of the servers: lists filtered by its policies and renamed to
/// `<server>__<name>`, concatenated server by server in name order and paginated across them.
enum ClientView {
    static let pageSize = 100

    /// The MCP limits on a tool name: 1 to 128 of `[A-Za-z0-9_.-]`.
    static func isValidToolName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 128
            && name.utf8.allSatisfy { ASCIIName.isAlnum($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    /// Filters and renames one server's items. Tools and prompts are renamed; resources keep
    /// their URIs (the gateway routes a read by the URI's owner).
    static func visible(_ items: [JSONValue], server: String, kind: ListKind, client: RouteClient) -> [JSONValue] {
        let access: AccessKind
        switch kind {
        case .tools: access = .tool
        case .prompts: access = .prompt
        case .resources, .resourceTemplates: access = .resource
        }
        var out: [JSONValue] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard case .object(var object) = item else { continue }
            switch kind {
            case .tools, .prompts:
                guard let name = object["name"]?.stringValue,
                      Access.allows(client, server: server, kind: access, name: name) else { continue }
                let qualified = GatewayName.join(server: server, name: name)
                if kind == .tools && !isValidToolName(qualified) { continue }
                object["name"] = .string(qualified)
            case .resources:
                guard let uri = object["uri"]?.stringValue,
                      Access.allows(client, server: server, kind: access, name: uri) else { continue }
            case .resourceTemplates:
                guard let uri = object["uriTemplate"]?.stringValue,
                      Access.allows(client, server: server, kind: access, name: uri) else { continue }
            }
            out.append(.object(object))
        }
        return out
    }

    /// A list result without the tool fields that revisions before 2025-06-18 do not have.
    static func withoutStructure(_ result: JSONValue, key: String) -> JSONValue {
        guard case .object(var object) = result, let items = object[key]?.arrayValue else { return result }
        object[key] = .array(items.map { item in
            guard case .object(var tool) = item else { return item }
            tool["title"] = nil
            tool["outputSchema"] = nil
            return .object(tool)
        })
        return .object(object)
    }

    /// A page of `items` from `cursor`; the cursor is opaque to clients (an offset, base64).
    static func page(_ items: [JSONValue], cursor: String?) -> (items: ArraySlice<JSONValue>, next: String?)? {
        var start = 0
        if let cursor {
            guard let data = Data(base64Encoded: cursor), let text = String(data: data, encoding: .utf8),
                  text.hasPrefix("o:"), let offset = Int(text.dropFirst(2)), offset >= 0, offset <= items.count else { return nil }
            start = offset
        }
        let end = min(items.count, start + pageSize)
        let next = end < items.count ? Data("o:\(end)".utf8).base64EncodedString() : nil
        return (items[start..<end], next)
    }
}

/// ASCII helpers on bytes.
enum ASCIIName {
    static func isAlnum(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    }
}
