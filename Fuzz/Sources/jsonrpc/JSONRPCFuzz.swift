@testable import CapstanGateway

/// A body as the gateway reads it from a client (POST /mcp) or a backend (a JSON response, an
/// SSE event, a stdio line): the strict JSON parser, then JSON-RPC classification of the message
/// or of each message of a batch, then what the gateway makes of a backend's message.
///
/// Round trips must hold: what the writer makes of a parsed value parses back to the same value,
/// and a classified message written out classifies back to itself.
@_cdecl("LLVMFuzzerTestOneInput")
public func jsonrpcFuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    guard let value = try? JSONParser.parse(bytes) else { return 0 }
    guard (try? JSONParser.parse(value.bytes)) == value else { fatalError("written JSON does not parse back: \(value.text)") }
    guard (try? JSONParser.parse(value.canonicalBytes)) != nil else { fatalError("canonical JSON does not parse: \(value.text)") }
    let items = value.arrayValue ?? [value]
    for item in items {
        guard let message = try? JSONRPCMessage(item) else { continue }
        guard (try? JSONRPCMessage(message.json)) == message else { fatalError("message does not classify back: \(message.json.text)") }
        _ = BackendMessages.classify(message)
    }
    _ = BackendMessages.decode(bytes)
    return 0
}
