@testable import CapstanGateway
import Foundation
import HTTPTypes

/// A client's POST to /mcp as the gateway checks it before dispatch: `Name: value` header lines,
/// a blank line, then the body. Origin, Accept and Content-Type checks, the body's JSON-RPC
/// message, and for MCP 2026-07-28 the checks that `MCP-Protocol-Version`, `Mcp-Method` and
/// `Mcp-Name` (plain or `=?base64?…?=`) mirror the body.
///
/// A request the checks pass must really agree with its headers, and the base64 form of any
/// name must always decode back to that name.
@_cdecl("LLVMFuzzerTestOneInput")
public func mcpHeadersFuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    let (headers, body) = request(bytes)
    _ = RequestChecks.originAllowed(headers[.origin], allowed: ["https://app.example"])
    _ = RequestChecks.accepts(headers[.accept], "application/json")
    _ = RequestChecks.accepts(headers[.accept], "text/event-stream")
    _ = RequestChecks.isJSON(headers[.contentType])
    if let raw = headers[.mcpName] { _ = StatelessExchange.decodeHeaderValue(raw) }
    guard let value = try? JSONParser.parse(body), let message = try? JSONRPCMessage(value),
          case .request(let id, let method, let params) = message else { return 0 }
    let named = params?["name"]?.stringValue ?? params?["uri"]?.stringValue
    if let named, StatelessExchange.decodeHeaderValue("=?base64?" + Data(named.utf8).base64EncodedString() + "?=") != named {
        fatalError("the base64 form of \(named.debugDescription) does not decode back")
    }
    guard StatelessExchange.check(id: id, method: method, params: params, headers: headers) == nil else { return 0 }
    guard headers[.mcpMethod] == method else { fatalError("passed with Mcp-Method \(headers[.mcpMethod] ?? "none") for \(method)") }
    if ["tools/call", "prompts/get", "resources/read"].contains(method), let named,
       headers[.mcpName].flatMap(StatelessExchange.decodeHeaderValue) != named {
        fatalError("passed with an Mcp-Name that is not \(named.debugDescription)")
    }
    return 0
}

/// Header lines up to the first blank line (names HTTP refuses are dropped, as the server's
/// parser would refuse them), the rest is the body.
func request(_ bytes: [UInt8]) -> (HTTPFields, ArraySlice<UInt8>) {
    var fields = HTTPFields()
    var start = 0
    while start < bytes.count {
        let end = bytes[start...].firstIndex(of: 10) ?? bytes.count
        var line = bytes[start..<end]
        if line.last == 13 { line = line.dropLast() }
        start = min(end + 1, bytes.count)
        if line.isEmpty { break }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")),
              let name = HTTPField.Name(String(decoding: line[..<colon], as: UTF8.self)) else { continue }
        let value = line[(colon + 1)...].drop { $0 == 0x20 || $0 == 0x09 }
        fields.append(HTTPField(name: name, value: String(decoding: value, as: UTF8.self)))
    }
    return (fields, bytes[start...])
}
